// Small behaviours the pages share. No inline script anywhere (strict CSP).
document.addEventListener("htmx:responseError", function (event) {
  var target = event.detail.target;
  if (target && event.detail.xhr && event.detail.xhr.status >= 400) {
    target.setAttribute("aria-busy", "false");
  }
});
