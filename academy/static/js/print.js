// A "Print" button for pages worth keeping on paper (recovery codes). Hidden
// until this runs, so that without JavaScript nobody sees a button that does nothing.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
