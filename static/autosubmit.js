// Sends a form marked data-autosubmit at once (SAML POST binding); its
// button stays for browsers without scripts.
"use strict";
for (const f of document.querySelectorAll("form[data-autosubmit]")) {
  f.submit();
}
