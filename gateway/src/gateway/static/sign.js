// Signing a document in the browser. The key file and its password never leave this page: the key is
// decrypted and used here with WebCrypto, and only the signature value is sent (docs/api-signature.md,
// "Signing in three steps": the cabinet prepares the bytes to sign, the browser signs them, the cabinet
// assembles the CAdES signature).
//
// Key files are PKCS#8 (ECDSA on P-256, P-384 or P-521, or RSA): "ENCRYPTED PRIVATE KEY" (PBES2 = PBKDF2 +
// AES-CBC, what `devtools.testca` and OpenSSL write) or an unencrypted "PRIVATE KEY", in PEM or DER. A minimal
// DER reader is all PKCS#8 needs. Ukrainian qualified keys (DSTU 4145: IIT Key-6.dat, .pfx/.p12, .jks, .pk8)
// are opened and used by the DSTU signer (static/vendor/dstu-signer.js, jkurwa and gost89 from npm), here too.
(function () {
  "use strict";

  var SEQUENCE = 0x30;
  var INTEGER = 0x02;
  var OCTET_STRING = 0x04;
  var OBJECT_IDENTIFIER = 0x06;

  var PBES2 = "1.2.840.113549.1.5.13";
  var PBKDF2 = "1.2.840.113549.1.5.12";
  var EC_PUBLIC_KEY = "1.2.840.10045.2.1";
  // the curves the signature service verifies, by OID: WebCrypto's name and the service's algorithm name
  var CURVES = {
    "1.2.840.10045.3.1.7": { name: "P-256", algorithm: "ECDSA_P256_SHA256" },
    "1.3.132.0.34": { name: "P-384", algorithm: "ECDSA_P384_SHA256" },
    "1.3.132.0.35": { name: "P-521", algorithm: "ECDSA_P521_SHA256" }
  };
  var RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
  // the signature service's name of a Ukrainian qualified key's signature (DSTU 4145 over GOST 34.311)
  var DSTU_ALGORITHM = "DSTU4145_GOST34311";
  // PBKDF2's pseudo-random function; HMAC-SHA1 when the file names none
  var PRF_HASHES = {
    "1.2.840.113549.2.7": "SHA-1",
    "1.2.840.113549.2.9": "SHA-256",
    "1.2.840.113549.2.10": "SHA-384",
    "1.2.840.113549.2.11": "SHA-512"
  };
  // AES-192 is left out: browsers' WebCrypto does not offer it
  var AES_CBC_KEY_BITS = { "2.16.840.1.101.3.4.1.2": 128, "2.16.840.1.101.3.4.1.42": 256 };
  // a file asking for more would freeze the page for minutes; real ones use thousands to a few hundred thousand
  var MAX_ITERATIONS = 10000000;

  // Why a key could not be opened; `reason` names the message the page shows.
  function KeyProblem(reason) {
    this.reason = reason;
  }

  // --- DER -------------------------------------------------------------------------------------------------

  function element(bytes, offset) {
    if (offset + 2 > bytes.length) {
      throw new KeyProblem("unreadable_key");
    }
    var tag = bytes[offset];
    var length = bytes[offset + 1];
    var start = offset + 2;
    if (length & 0x80) {
      var count = length & 0x7f;
      if (count < 1 || count > 4 || start + count > bytes.length) {
        throw new KeyProblem("unreadable_key");
      }
      length = 0;
      for (var i = 0; i < count; i += 1) {
        length = length * 256 + bytes[start + i];
      }
      start += count;
    }
    if (start + length > bytes.length) {
      throw new KeyProblem("unreadable_key");
    }
    return { tag: tag, content: bytes.subarray(start, start + length), end: start + length };
  }

  function only(bytes) {
    var top = element(bytes, 0);
    if (top.end !== bytes.length) {
      throw new KeyProblem("unreadable_key");
    }
    return top;
  }

  function children(parent) {
    var found = [];
    var offset = 0;
    while (offset < parent.content.length) {
      var child = element(parent.content, offset);
      found.push(child);
      offset = child.end;
    }
    return found;
  }

  function expect(item, tag) {
    if (!item || item.tag !== tag) {
      throw new KeyProblem("unreadable_key");
    }
    return item;
  }

  function objectIdentifier(item) {
    var bytes = expect(item, OBJECT_IDENTIFIER).content;
    if (bytes.length === 0) {
      throw new KeyProblem("unreadable_key");
    }
    var first = Math.min(Math.floor(bytes[0] / 40), 2);
    var arcs = [first, bytes[0] - first * 40];
    var value = 0;
    for (var i = 1; i < bytes.length; i += 1) {
      value = value * 128 + (bytes[i] & 0x7f);
      if (!(bytes[i] & 0x80)) {
        arcs.push(value);
        value = 0;
      }
    }
    return arcs.join(".");
  }

  function smallInteger(item) {
    var bytes = expect(item, INTEGER).content;
    if (bytes.length === 0 || bytes.length > 6 || bytes[0] & 0x80) {
      throw new KeyProblem("unsupported_key");
    }
    var value = 0;
    for (var i = 0; i < bytes.length; i += 1) {
      value = value * 256 + bytes[i];
    }
    return value;
  }

  // --- the key file -----------------------------------------------------------------------------------------

  function latin1(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i += 8192) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    }
    return text;
  }

  function fromBase64(text) {
    var binary;
    try {
      binary = atob(text.replace(/\s+/g, ""));
    } catch (error) {
      throw new KeyProblem("unreadable_key");
    }
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes;
  }

  function toBase64(bytes) {
    return btoa(latin1(bytes));
  }

  // The DER of the key: the PEM block's content, or the file itself when it is DER already.
  function keyDer(file) {
    var text = latin1(file);
    if (text.indexOf("-----BEGIN") === -1) {
      return file;
    }
    var blocks = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
    var match;
    var other = false;
    while ((match = blocks.exec(text)) !== null) {
      if (match[1] === "ENCRYPTED PRIVATE KEY" || match[1] === "PRIVATE KEY") {
        return fromBase64(match[2]);
      }
      other = other || /PRIVATE KEY$/.test(match[1]);
    }
    // "EC PRIVATE KEY" and "RSA PRIVATE KEY" are OpenSSL's older formats: a key, but not one WebCrypto reads
    throw new KeyProblem(other ? "unsupported_key" : "unreadable_key");
  }

  // PBES2 (RFC 8018): derive the AES key from the password with PBKDF2, then decrypt the PrivateKeyInfo.
  function decrypt(encrypted, password) {
    var parts = children(encrypted);
    var algorithm = children(expect(parts[0], SEQUENCE));
    var ciphertext = expect(parts[1], OCTET_STRING).content;
    if (objectIdentifier(algorithm[0]) !== PBES2) {
      throw new KeyProblem("unsupported_key");
    }
    var parameters = children(expect(algorithm[1], SEQUENCE));
    var derivation = children(expect(parameters[0], SEQUENCE));
    if (objectIdentifier(derivation[0]) !== PBKDF2) {
      throw new KeyProblem("unsupported_key");
    }
    var derivationParameters = children(expect(derivation[1], SEQUENCE));
    var salt = expect(derivationParameters[0], OCTET_STRING).content;
    var iterations = smallInteger(derivationParameters[1]);
    var hash = "SHA-1";
    derivationParameters.slice(2).forEach(function (optional) {
      if (optional.tag === SEQUENCE) {
        hash = PRF_HASHES[objectIdentifier(children(optional)[0])];
      }
    });
    var scheme = children(expect(parameters[1], SEQUENCE));
    var keyBits = AES_CBC_KEY_BITS[objectIdentifier(scheme[0])];
    var iv = expect(scheme[1], OCTET_STRING).content;
    if (!hash || !keyBits || iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new KeyProblem("unsupported_key");
    }
    if (!password) {
      throw new KeyProblem("password_required");
    }
    var subtle = window.crypto.subtle;
    return subtle
      .importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"])
      .then(function (secret) {
        return subtle.deriveBits({ name: "PBKDF2", salt: salt, iterations: iterations, hash: hash }, secret, keyBits);
      })
      .then(function (bits) {
        return subtle.importKey("raw", bits, "AES-CBC", false, ["decrypt"]);
      })
      .then(function (aes) {
        return subtle.decrypt({ name: "AES-CBC", iv: iv }, aes, ciphertext);
      })
      .then(
        function (plain) {
          return new Uint8Array(plain);
        },
        function () {
          // the padding did not come out right: the key derived from this password is not the file's
          throw new KeyProblem("wrong_password");
        }
      );
  }

  // What PrivateKeyInfo (RFC 5208) holds, and how WebCrypto imports and signs with it.
  function keyKind(privateKeyInfo) {
    var parts = children(only(privateKeyInfo));
    expect(parts[0], INTEGER);
    var algorithm = children(expect(parts[1], SEQUENCE));
    expect(parts[2], OCTET_STRING);
    var oid = objectIdentifier(algorithm[0]);
    if (oid === EC_PUBLIC_KEY) {
      var curve = algorithm[1] && algorithm[1].tag === OBJECT_IDENTIFIER && CURVES[objectIdentifier(algorithm[1])];
      if (!curve) {
        throw new KeyProblem("unsupported_key");
      }
      return {
        algorithm: curve.algorithm,
        importParameters: { name: "ECDSA", namedCurve: curve.name },
        signParameters: { name: "ECDSA", hash: "SHA-256" }
      };
    }
    if (oid === RSA_ENCRYPTION) {
      return {
        algorithm: "RSA_PKCS1_SHA256",
        importParameters: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
        signParameters: { name: "RSASSA-PKCS1-v1_5" }
      };
    }
    throw new KeyProblem("unsupported_key");
  }

  // The keys of a Ukrainian key file: {algorithm, dstuKeys}; which of them signs, the certificate says (keyFor).
  function openDstuKey(file, password) {
    var keys;
    try {
      keys = window.DstuSigner.openKeys(file, password);
    } catch (problem) {
      throw new KeyProblem(problem.message === "wrong_password" ? "wrong_password" : "unreadable_key");
    }
    return { algorithm: DSTU_ALGORITHM, dstuKeys: keys };
  }

  // The key of a key file, ready to sign: {algorithm, key, signParameters}. The CryptoKey cannot be exported.
  function openKey(file, password) {
    return Promise.resolve()
      .then(function () {
        if (window.DstuSigner && window.DstuSigner.recognises(file)) {
          return { dstu: openDstuKey(file, password) };
        }
        var der = keyDer(file);
        var top = expect(only(der), SEQUENCE);
        var first = children(top)[0];
        if (first && first.tag === SEQUENCE) {
          // EncryptedPrivateKeyInfo; a PrivateKeyInfo starts with its version, an INTEGER
          return decrypt(top, password).then(function (plain) {
            try {
              return { der: plain, kind: keyKind(plain) };
            } catch (problem) {
              // decryption with a wrong key yields noise that, rarely, even ends in valid padding
              throw new KeyProblem("wrong_password");
            }
          });
        }
        return { der: der, kind: keyKind(der) };
      })
      .then(function (opened) {
        if (opened.dstu) {
          return opened.dstu;
        }
        return window.crypto.subtle
          .importKey("pkcs8", opened.der, opened.kind.importParameters, false, ["sign"])
          .then(
            function (key) {
              return { algorithm: opened.kind.algorithm, key: key, signParameters: opened.kind.signParameters };
            },
            function () {
              throw new KeyProblem("unreadable_key");
            }
          );
      });
  }

  // The opened key that is the certificate's, as the cabinet prepared the signing for it: of a Ukrainian key file
  // (a Key-6.dat holds a signing and a key-agreement key) the one whose public key the certificate carries.
  function keyFor(opened, prepared) {
    if (prepared.signature_algorithm !== opened.algorithm) {
      throw new KeyProblem("key_mismatch");
    }
    if (!opened.dstuKeys) {
      return opened;
    }
    var matching = opened.dstuKeys.filter(function (key) {
      return window.DstuSigner.publicKeyHex(key) === prepared.public_key_hex;
    });
    if (!matching.length) {
      throw new KeyProblem("key_mismatch");
    }
    return { algorithm: opened.algorithm, dstuKey: matching[0] };
  }

  // The certificate the opened key belongs to, when the chosen one cannot be its: a signer with certificates of
  // several kinds (an ECDSA one and a newer DSTU one, which the list offers first) need not pick it by hand. Of
  // several of the key's kind the chosen one stays (or the first): the cabinet tells a mismatch then.
  function certificateFor(opened, select) {
    var chosen = select.options[select.selectedIndex];
    if (!chosen || chosen.getAttribute("data-algorithm") === opened.algorithm) {
      return;
    }
    var fitting = Array.prototype.filter.call(select.options, function (option) {
      return option.getAttribute("data-algorithm") === opened.algorithm;
    });
    if (fitting.length) {
      select.value = fitting[0].value;
    }
  }

  // The signature value as the signature service takes it: ECDSA as r‖s, RSA PKCS#1 v1.5, DSTU 4145 as r‖s
  // little-endian over GOST 34.311.
  function sign(opened, data) {
    if (opened.dstuKey) {
      return Promise.resolve(window.DstuSigner.sign(opened.dstuKey, data));
    }
    return window.crypto.subtle.sign(opened.signParameters, opened.key, data).then(function (value) {
      return new Uint8Array(value);
    });
  }

  // --- the page ---------------------------------------------------------------------------------------------

  // A refusal from the cabinet, with the sentence it gave in the visitor's language.
  function Refusal(message) {
    this.message = message;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function post(url, body, fallbackMessage) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (answer) {
          if (!response.ok) {
            throw new Refusal(answer.message || fallbackMessage);
          }
          return answer;
        });
    });
  }

  // The status and signatures as a reload would show them, without reloading (the form keeps its state).
  function refreshSignatureState() {
    return fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        var current = document.getElementById("signature-state");
        if (!html || !current) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("signature-state");
        if (fresh) {
          current.replaceWith(document.importNode(fresh, true));
        }
      })
      .catch(function () {
        // the status was already updated from the answer; the list of signatures shows on the next visit
      });
  }

  function setup(form) {
    var documentId = form.getAttribute("data-document-id");
    var certificate = form.querySelector("#certificate_id");
    var keyFile = form.querySelector("#key_file");
    var password = form.querySelector("#key_password");
    var result = document.getElementById("sign-result");
    var button = form.querySelector("button[type=submit]");
    var busy = false;

    function message(reason) {
      return form.getAttribute("data-message-" + reason.replace(/_/g, "-")) || form.getAttribute("data-message-failed");
    }

    function fieldError(input, text) {
      var error = document.getElementById(input.id + "-error");
      error.textContent = text;
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + error.id).trim());
      input.parentNode.classList.add("field--invalid");
      input.focus();
    }

    function clearErrors() {
      [certificate, keyFile, password].forEach(function (input) {
        var error = document.getElementById(input.id + "-error");
        error.textContent = "";
        error.hidden = true;
        input.removeAttribute("aria-invalid");
        var described = (input.getAttribute("aria-describedby") || "").replace(error.id, "").trim();
        if (described) {
          input.setAttribute("aria-describedby", described);
        } else {
          input.removeAttribute("aria-describedby");
        }
        input.parentNode.classList.remove("field--invalid");
      });
      result.textContent = "";
      result.className = "sign-result";
    }

    function showResult(text, kind) {
      result.textContent = text;
      result.className = "sign-result sign-result--" + kind;
    }

    function showProblem(problem) {
      if (problem instanceof KeyProblem) {
        var input = problem.reason === "wrong_password" || problem.reason === "password_required" ? password : keyFile;
        fieldError(input, message(problem.reason));
        showResult("", "error");
      } else if (problem instanceof Refusal) {
        showResult(problem.message, "error");
      } else {
        showResult(message("network"), "error");
      }
    }

    function signed(answer) {
      password.value = "";
      keyFile.value = "";
      showResult(answer.message, "success");
      document.querySelectorAll("#signature-state [data-status]").forEach(function (badge) {
        badge.textContent = answer.status_label;
        badge.setAttribute("data-status", answer.status);
        badge.className = "status status--" + answer.status;
      });
      if (!answer.can_sign) {
        // this side has signed: the signing, sealing and refusal forms are done with; the result stays
        document.querySelectorAll("[data-signing-panel]").forEach(function (panel) {
          if (!panel.contains(result)) {
            panel.hidden = true;
            return;
          }
          Array.prototype.forEach.call(panel.children, function (part) {
            part.hidden = part !== form && part.tagName !== "H2";
          });
        });
        Array.prototype.forEach.call(form.children, function (part) {
          part.hidden = part !== result;
        });
      }
      return refreshSignatureState();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) {
        return;
      }
      clearErrors();
      if (!window.crypto || !window.crypto.subtle || !window.fetch) {
        showResult(message("unsupported_browser"), "error");
        return;
      }
      if (!certificate.value) {
        fieldError(certificate, message("certificate_required"));
        return;
      }
      var file = keyFile.files && keyFile.files[0];
      if (!file) {
        fieldError(keyFile, message("key_required"));
        return;
      }
      if (!password.value) {
        fieldError(password, message("password_required"));
        return;
      }
      busy = true;
      button.disabled = true;
      showResult(message("signing"), "progress");
      var failed = message("failed");
      // the key is opened before the cabinet is asked anything: a wrong password costs no signing session
      file
        .arrayBuffer()
        .then(function (bytes) {
          return openKey(new Uint8Array(bytes), password.value);
        })
        .then(function (opened) {
          certificateFor(opened, certificate);
          return post("/api/signing/" + documentId + "/prepare", { certificate_id: certificate.value }, failed).then(
            function (prepared) {
              var signer = keyFor(opened, prepared);
              // the document itself, and the ASiCManifest naming it (the signature in the ASiC-E container)
              return Promise.all([
                sign(signer, fromBase64(prepared.data_to_sign_base64)),
                sign(signer, fromBase64(prepared.manifest_to_sign_base64))
              ]).then(function (values) {
                return post(
                  "/api/signing/finalize/" + prepared.signing_id,
                  {
                    signature_value_base64: toBase64(values[0]),
                    manifest_signature_value_base64: toBase64(values[1])
                  },
                  failed
                );
              });
            }
          );
        })
        .then(signed, showProblem)
        .then(function () {
          busy = false;
          button.disabled = false;
        });
    });
  }

  window.CabinetSigning = { openKey: openKey, keyFor: keyFor, sign: sign, KeyProblem: KeyProblem };
  document.querySelectorAll("[data-sign-form]").forEach(setup);
})();
