// "Check whether the login is free" without leaving the page. Without scripts the same button submits the
// form to its formaction and the page comes back with the answer, so this file only makes it quicker.
(function () {
  "use strict";

  function setup(button) {
    var form = button.form;
    var input = form.querySelector("[data-login-input]");
    var result = document.getElementById("login-check-result");
    if (!input || !result) {
      return;
    }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var url = button.getAttribute("data-url") + "?login=" + encodeURIComponent(input.value);
      result.textContent = "";
      result.classList.remove("login-check__result--free", "login-check__result--taken");
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.json();
        })
        .then(function (answer) {
          result.textContent = answer.message;
          result.classList.add(answer.available ? "login-check__result--free" : "login-check__result--taken");
        })
        .catch(function () {
          result.textContent = button.getAttribute("data-error-message");
          result.classList.add("login-check__result--taken");
        });
    });
  }

  document.querySelectorAll("[data-login-check]").forEach(setup);
})();
