// Passkeys (WebAuthn) on the login page, the second-factor page and the
// account's passkey page. Each form names where its options come from
// (data-options, a POST with the form's CSRF token); the browser's answer
// goes into the form's hidden "credential" field and the form is sent as
// any other. Without WebAuthn the forms stay hidden.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }
  function b64(buf) {
    var s = "";
    var bytes = new Uint8Array(buf);
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); });
  }
  function ids(list) {
    return (list || []).map(function (c) { return { type: c.type, id: unb64(c.id) }; });
  }
  function options(form) {
    var body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    return fetch(form.dataset.options, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("options " + r.status);
        return r.json();
      });
  }
  function send(form, value) {
    form.elements.credential.value = JSON.stringify(value);
    form.submit();
  }
  function failed(form, e) {
    if (e && e.name === "AbortError") return;
    var p = form.querySelector(".passkey-error");
    if (p) p.hidden = false;
  }
  function assertion(c) {
    return {
      id: c.id,
      type: c.type,
      response: {
        clientDataJSON: b64(c.response.clientDataJSON),
        authenticatorData: b64(c.response.authenticatorData),
        signature: b64(c.response.signature),
        userHandle: c.response.userHandle ? b64(c.response.userHandle) : null
      }
    };
  }
  var pending = null;
  function get(form, mediation) {
    if (pending) pending.abort();
    pending = new AbortController();
    var signal = pending.signal;
    return options(form).then(function (o) {
      o.challenge = unb64(o.challenge);
      o.allowCredentials = ids(o.allowCredentials);
      return navigator.credentials.get({ publicKey: o, mediation: mediation, signal: signal });
    });
  }
  function authenticate(form, conditional) {
    form.hidden = false;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      get(form, "optional").then(function (c) { send(form, assertion(c)); },
        function (e) { failed(form, e); });
    });
    if (conditional && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (!ok) return;
        get(form, "conditional").then(function (c) { send(form, assertion(c)); },
          function () {});
      });
    }
  }
  var login = document.getElementById("passkey-login");
  if (login) authenticate(login, true);
  var second = document.getElementById("passkey-second");
  if (second) authenticate(second, false);

  var register = document.getElementById("passkey-register");
  if (register) {
    register.hidden = false;
    register.addEventListener("submit", function (ev) {
      ev.preventDefault();
      options(register).then(function (o) {
        o.challenge = unb64(o.challenge);
        o.user.id = unb64(o.user.id);
        o.excludeCredentials = ids(o.excludeCredentials);
        return navigator.credentials.create({ publicKey: o });
      }).then(function (c) {
        send(register, {
          id: c.id,
          type: c.type,
          response: {
            clientDataJSON: b64(c.response.clientDataJSON),
            attestationObject: b64(c.response.attestationObject)
          }
        });
      }, function (e) { failed(register, e); });
    });
  }
})();
