// The answer shown belongs to the choices previewed: once they change, ask again first.
(function () {
  "use strict";
  var form = document.getElementById("return-request-form");
  if (!form) { return; }
  var answer = document.getElementById("engine-answer");
  var submit = document.getElementById("submit-button");
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "files") { return; }
    if (submit) { submit.hidden = true; }
    if (answer) { answer.classList.add("opacity-50"); }
  });
})();
