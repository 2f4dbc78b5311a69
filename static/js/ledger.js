// Ledger exports: while the worker writes a file, poll its status every two seconds and
// show the progress; when it is done, show the download link.
(function () {
  "use strict";

  var POLL_MS = 2000;

  function update(item, status) {
    var label = item.querySelector("[data-export-label]");
    var progress = item.querySelector("[data-export-progress]");
    var link = item.querySelector("[data-export-download]");
    if (label) { label.textContent = status.status_label; }
    if (progress) {
      progress.value = status.percent;
      progress.textContent = status.percent + "%";
    }
    if (status.finished) {
      item.setAttribute("data-finished", "1");
      if (progress) { progress.remove(); }
      if (link && status.download_url) {
        link.href = status.download_url;
        link.hidden = false;
      }
    }
  }

  function poll(item) {
    var url = item.getAttribute("data-export-status-url");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (status) {
        update(item, status);
        if (!status.finished) { window.setTimeout(function () { poll(item); }, POLL_MS); }
      })
      .catch(function () {
        // A failed poll (network, signed out) stops quietly; reloading the page resumes.
      });
  }

  document.querySelectorAll("[data-export-status-url][data-finished='0']").forEach(function (item) {
    window.setTimeout(function () { poll(item); }, POLL_MS);
  });
})();
