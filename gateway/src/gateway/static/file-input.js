// A file field in the page's language (templates/_macros.html, file_field): the line beside the button names the
// chosen file, or says that none is chosen. Without this script the button still chooses the file (it is the
// input's label); the line then stays hidden rather than say something untrue.
(function () {
  "use strict";

  function attach(input) {
    const chosen = document.getElementById(input.id + "-chosen");
    if (!chosen) {
      return;
    }
    function update() {
      const names = Array.from(input.files || []).map(function (file) { return file.name; });
      chosen.textContent = names.length ? names.join(", ") : chosen.dataset.none;
      chosen.classList.toggle("file-field__chosen--none", !names.length);
    }
    input.addEventListener("change", update);
    update();
    chosen.hidden = false;
  }

  document.querySelectorAll("input.file-field__input").forEach(attach);
})();
