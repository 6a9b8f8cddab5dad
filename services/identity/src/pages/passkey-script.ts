/**
 * The one script identity pages load (`/auth/assets/passkey.js`): passkey ceremonies, which need
 * `navigator.credentials`. It is progressive enhancement — passkey buttons are rendered `hidden`
 * and shown only where WebAuthn exists; everything else works without JavaScript. No inline code:
 * each button carries its endpoints and CSRF token in `data-` attributes.
 *
 * Button attributes: `data-passkey="get|create"`, `data-options-url`, `data-verify-url`,
 * `data-csrf`, `data-status` (id of an `aria-live` element for messages), and for `create` an
 * optional `data-name-input` (id of the input naming the passkey). The verify endpoint answers
 * `{ "location": "…" }`, where the browser goes next.
 */
export const PASSKEY_SCRIPT = `'use strict';
(function () {
  function toBuffer(text) {
    var base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (base64.length % 4 !== 0) base64 += '=';
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = '';
    for (var i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBuffer(item.id) });
    });
  }

  function requestOptions(options) {
    return Object.assign({}, options, {
      challenge: toBuffer(options.challenge),
      allowCredentials: descriptors(options.allowCredentials),
    });
  }

  function creationOptions(options) {
    return Object.assign({}, options, {
      challenge: toBuffer(options.challenge),
      user: Object.assign({}, options.user, { id: toBuffer(options.user.id) }),
      excludeCredentials: descriptors(options.excludeCredentials),
    });
  }

  function common(credential) {
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  function assertionJson(credential) {
    var response = credential.response;
    return Object.assign(common(credential), {
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        authenticatorData: toBase64url(response.authenticatorData),
        signature: toBase64url(response.signature),
        userHandle: response.userHandle ? toBase64url(response.userHandle) : undefined,
      },
    });
  }

  function attestationJson(credential) {
    var response = credential.response;
    return Object.assign(common(credential), {
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        attestationObject: toBase64url(response.attestationObject),
        transports: typeof response.getTransports === 'function' ? response.getTransports() : [],
      },
    });
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.message || 'The passkey could not be used.');
        return data;
      });
    });
  }

  function run(button) {
    var status = document.getElementById(button.dataset.status || '');
    var say = function (text) { if (status) status.textContent = text; };
    var create = button.dataset.passkey === 'create';
    button.disabled = true;
    say('');
    var challengeId;
    post(button.dataset.optionsUrl, button.dataset.csrf, {})
      .then(function (ceremony) {
        challengeId = ceremony.challengeId;
        return create
          ? navigator.credentials.create({ publicKey: creationOptions(ceremony.options) })
          : navigator.credentials.get({ publicKey: requestOptions(ceremony.options) });
      })
      .then(function (credential) {
        var body = { challengeId: challengeId, response: create ? attestationJson(credential) : assertionJson(credential) };
        var nameInput = button.dataset.nameInput ? document.getElementById(button.dataset.nameInput) : null;
        if (nameInput) body.name = nameInput.value;
        return post(button.dataset.verifyUrl, button.dataset.csrf, body);
      })
      .then(function (result) {
        window.location.assign(result.location);
      })
      .catch(function (error) {
        say(error && error.name === 'NotAllowedError'
          ? 'The passkey request was cancelled or timed out.'
          : (error && error.message) || 'The passkey could not be used.');
        button.disabled = false;
      });
  }

  var buttons = document.querySelectorAll('button[data-passkey]');
  for (var i = 0; i < buttons.length; i += 1) {
    var button = buttons[i];
    if (!window.PublicKeyCredential || !navigator.credentials) continue;
    button.hidden = false;
    button.addEventListener('click', run.bind(null, button));
  }
})();
`;
