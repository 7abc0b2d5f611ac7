// The characters left in a text area with a limit (templates/_macros.html, counted_textarea), counted as the
// services count them: Unicode code points, a line break as one character (a browser sends CRLF).
// The visible count follows every key; screen readers hear it once typing pauses.
(function () {
  "use strict";

  const ANNOUNCE_AFTER_MS = 1000;

  function length(text) {
    return Array.from(text.replace(/\r\n?/g, "\n")).length;
  }

  function attach(area) {
    const counter = document.getElementById(area.dataset.counter);
    const live = document.getElementById(area.dataset.counter + "-live");
    if (!counter) {
      return;
    }
    const left = counter.querySelector(".counter__left");
    const limit = Number(left.dataset.limit);
    let pending = null;

    function update() {
      const remaining = limit - length(area.value);
      left.textContent = String(remaining);
      counter.classList.toggle("counter--over", remaining < 0);
      if (live) {
        clearTimeout(pending);
        pending = setTimeout(function () {
          live.textContent = counter.textContent.trim();
        }, ANNOUNCE_AFTER_MS);
      }
    }

    counter.hidden = false;
    area.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("textarea[data-counter]").forEach(attach);
})();
