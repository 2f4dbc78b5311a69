// Submit buttons disable while their form is posting, so a double click sends one request.
// The server refuses a second post of the same form anyway (one-time form token).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") {
    return;
  }
  if (form.dataset.submitting === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  form.setAttribute("aria-busy", "true");
  var buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
  // Disabled after the browser has taken the form's data, so the pressed button's own
  // name and value are still sent.
  window.setTimeout(function () {
    buttons.forEach(function (button) {
      button.disabled = true;
      if (button.dataset.busyLabel) {
        button.textContent = button.dataset.busyLabel;
      }
    });
  }, 0);
  // A page kept in the back/forward cache comes back usable.
  window.addEventListener("pageshow", function () {
    form.dataset.submitting = "";
    form.removeAttribute("aria-busy");
    buttons.forEach(function (button) { button.disabled = false; });
  }, { once: true });
});
