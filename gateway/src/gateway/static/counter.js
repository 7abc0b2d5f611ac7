// The characters left in a text area with a limit (templates/_macros.html, counted_textarea), counted as the
// services count them: Unicode code points, a line break as one character (a browser sends CRLF).
// Past the limit it says by how much (the text area has no maxlength: a longer pasted text is not cut without a
// word; the service refuses it with its message). The visible count follows every key; screen readers hear it
// once typing pauses.
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
    const limit = Number(area.dataset.limit);
    const under = counter.querySelector(".counter__under");
    const over = counter.querySelector(".counter__over");
    let pending = null;

    function update() {
      const remaining = limit - length(area.value);
      counter.querySelector(".counter__left").textContent = String(Math.max(remaining, 0));
      counter.querySelector(".counter__excess").textContent = String(Math.max(-remaining, 0));
      under.hidden = remaining < 0;
      over.hidden = remaining >= 0;
      counter.classList.toggle("counter--over", remaining < 0);
      if (live) {
        clearTimeout(pending);
        pending = setTimeout(function () {
          live.textContent = (remaining < 0 ? over : under).textContent.replace(/\s+/g, " ").trim();
        }, ANNOUNCE_AFTER_MS);
      }
    }

    counter.hidden = false;
    area.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("textarea[data-counter]").forEach(attach);
})();
