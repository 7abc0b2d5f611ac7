// The browser side of signing with a Ukrainian qualified key (DSTU 4145 + GOST 34.311): opens the key files
// Ukrainian providers hand out and signs the bytes the signature service prepared. Built into
// gateway/src/gateway/static/vendor/dstu-signer.js by build.sh; static/sign.js uses it as window.DstuSigner.
"use strict";

var Buffer = require("buffer").Buffer;
var gost89 = require("gost89");
var jksreader = require("jksreader");
// the models index, not Priv.js alone: jkurwa's curve and key modules need each other loaded in its order
var Priv = require("jkurwa/lib/models/index.js").Priv;

var algos = gost89.compat.algos();

// Every private key of a key file: IIT Key-6.dat, PBES2 (.pk8), PKCS#12 (.pfx/.p12), PrivatBank's JKS (.jks), or
// an unencrypted key. Throws Error("wrong_password") or Error("unreadable_key").
function openKeys(bytes, password) {
  var data = Buffer.from(bytes);
  // a header some providers' tools put before a JKS file
  var content = data[0] === 0x51 ? data.slice(6) : data;
  var store = jksreader.parse(content);
  if (store) {
    return store.material.reduce(function (keys, part) {
      var plain = jksreader.decode(part.key, password);
      if (!plain) {
        throw new Error("wrong_password");
      }
      return keys.concat(Priv.from_asn1(plain, true).keys);
    }, []);
  }
  var keys;
  try {
    keys = Priv.from_protected(data, password, algos).keys;
  } catch (encrypted) {
    try {
      keys = Priv.from_asn1(data, true).keys;
    } catch (plain) {
      // an encrypted file that decrypted to noise is one opened with the wrong password
      throw new Error(isContainer(data) ? "wrong_password" : "unreadable_key");
    }
  }
  if (!keys || !keys.length) {
    throw new Error("unreadable_key");
  }
  return keys;
}

// Whether the bytes are a Ukrainian key file (or an unencrypted DSTU 4145 key): the page gives other files to
// WebCrypto.
function recognises(bytes) {
  var data = Buffer.from(bytes);
  if (jksreader.parse(data[0] === 0x51 ? data.slice(6) : data) || isContainer(data)) {
    return true;
  }
  try {
    return Priv.from_asn1(data, true).keys.length > 0;
  } catch (ignore) {
    return false;
  }
}

function isContainer(data) {
  var parsers = [
    require("jkurwa/lib/spec/keystore.js").enc_parse,
    require("jkurwa/lib/spec/pbes.js").pbes2_parse,
    require("jkurwa/lib/spec/pfx.js").pfx_parse
  ];
  return parsers.some(function (parse) {
    try {
      parse(data);
      return true;
    } catch (ignore) {
      return false;
    }
  });
}

// The key's public key as certificates carry it, compressed (DSTU 4145 §6.9), big-endian hex without leading zeros (as the signature service gives it).
function publicKeyHex(key) {
  return Buffer.from(key.pub_compress().buf8()).toString("hex").replace(/^0+/, "");
}

// GOST 34.311 of the data (S-box ДКЕ №1), then the DSTU 4145 signature of it: r‖s, little-endian, as Ukrainian
// CMS carries it.
function sign(key, bytes) {
  var digest = gost89.gosthash(Buffer.from(bytes));
  return new Uint8Array(key.sign(digest, "le"));
}

function gostHash(bytes) {
  return new Uint8Array(gost89.gosthash(Buffer.from(bytes)));
}

window.DstuSigner = {
  recognises: recognises,
  openKeys: openKeys,
  publicKeyHex: publicKeyHex,
  sign: sign,
  gostHash: gostHash
};
