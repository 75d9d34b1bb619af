// Keeps a cohort batch's progress page current without a reload: asks the
// batch's JSON every two seconds, updates the bar and the (role=status) summary,
// and reloads once the batch has finished so the table shows every outcome.
// Without JavaScript the page's "Check progress" link does the same job.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box || box.getAttribute("data-finished") === "true") {
    return;
  }
  var bar = box.querySelector("progress");
  var summary = document.getElementById("batch-summary");
  var url = box.getAttribute("data-status-url");

  function update() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (batch) {
        if (!batch) {
          return;
        }
        if (batch.finished) {
          window.location.reload();
          return;
        }
        bar.value = batch.issued + batch.skipped + batch.failed;
        summary.textContent =
          batch.state + ": " + bar.value + " of " + batch.total + " done – " + batch.issued +
          " issued, " + batch.skipped + " skipped, " + batch.failed + " failed.";
        window.setTimeout(update, 2000);
      })
      .catch(function () {
        window.setTimeout(update, 5000);
      });
  }

  window.setTimeout(update, 2000);
})();
