// The language choice in the admin header applies as soon as it changes (a file, not an
// inline handler, for the Content-Security-Policy); without scripts its Go button does.
"use strict";
document.addEventListener("change", (event) => {
  if (event.target.matches("form.language-choice select")) event.target.form.submit();
});
