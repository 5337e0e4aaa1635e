// Every page: header menus (Escape and a click elsewhere close them), the theme choice,
// copy buttons, and activity times in the visitor's own time zone. Everything here only
// enhances what already works without JavaScript.
(function () {
  "use strict";
  var menus = document.querySelectorAll("details.header-menu");

  function closeMenus(except) {
    menus.forEach(function (menu) { if (menu !== except) { menu.open = false; } });
  }
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () { if (menu.open) { closeMenus(menu); } });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    menus.forEach(function (menu) {
      if (menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  });
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) { menu.open = false; }
    });
  });

  // Theme: the same cookie the server's form sets; applied at once, no reload.
  var themeForm = document.querySelector("[data-theme-form]");
  if (themeForm) {
    themeForm.addEventListener("submit", function (event) {
      var choice = event.submitter ? event.submitter.value : "system";
      if (["light", "dark", "system"].indexOf(choice) < 0) { return; }
      event.preventDefault();
      var secure = window.location.protocol === "https:" ? "; Secure" : "";
      if (choice === "system") {
        document.cookie = "theme=; Max-Age=0; Path=/; SameSite=Lax" + secure;
        document.documentElement.removeAttribute("data-theme");
      } else {
        document.cookie = "theme=" + choice + "; Max-Age=31536000; Path=/; SameSite=Lax" + secure;
        document.documentElement.setAttribute("data-theme", choice);
      }
      var meta = document.querySelector('meta[name="color-scheme"]');
      if (meta) { meta.content = choice === "system" ? "light dark" : choice; }
      themeForm.querySelectorAll("button[name=theme]").forEach(function (button) {
        button.setAttribute("aria-pressed", button.value === choice ? "true" : "false");
      });
      var summary = themeForm.closest("details").querySelector("summary");
      summary.setAttribute("aria-label", "Theme: " + choice.charAt(0).toUpperCase() + choice.slice(1));
      themeForm.closest("details").open = false;
      summary.focus();
    });
  }

  // Copy buttons: shown only here, where they work.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
        window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
  });

  // Times: the server writes UTC; show the visitor's local time with its zone.
  var format;
  try {
    format = new Intl.DateTimeFormat(undefined, {
      day: "2-digit", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
      timeZoneName: "short"
    });
  } catch (error) { return; }
  document.querySelectorAll("time[data-local-time]").forEach(function (time) {
    var when = new Date(time.getAttribute("datetime"));
    if (!isNaN(when.getTime())) { time.textContent = format.format(when); }
  });
})();
