// Case page: a chosen canned response goes into the reply box to check and edit (never sent
// unseen), and the sub-category list offers only the chosen category's. The server renders
// the texts and categories as data attributes; without this script the page still works.
// No inline script: CSP-safe.
(function () {
  "use strict";

  document.querySelectorAll("select[name$='-canned']").forEach(function (select) {
    var form = select.form;
    var box = form && form.querySelector("textarea[name$='-text']");
    if (!box) {
      return;
    }
    var lastFilled = "";
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var text = option ? option.getAttribute("data-text") : null;
      if (text === null) {
        return;
      }
      // Typed text is kept unless it is only the previous canned text.
      if (box.value.trim() && box.value !== lastFilled &&
          !window.confirm(select.getAttribute("data-replace-confirm") || "Replace?")) {
        return;
      }
      box.value = text;
      lastFilled = text;
      box.focus();
    });
  });

  document.querySelectorAll("select[name$='-subcategory']").forEach(function (sub) {
    var form = sub.form;
    var category = form && form.querySelector("select[name$='-category']");
    if (!category) {
      return;
    }
    var options = Array.prototype.slice.call(sub.options);
    function filter() {
      var chosen = category.value;
      options.forEach(function (option) {
        var owner = option.getAttribute("data-category");
        var show = !owner || owner === chosen;
        option.hidden = !show;
        option.disabled = !show;
      });
      var current = sub.options[sub.selectedIndex];
      if (current && current.disabled) {
        sub.value = "";
      }
    }
    category.addEventListener("change", filter);
    filter();
  });
})();
