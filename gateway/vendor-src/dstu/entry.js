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
  var store = javaKeyStore(data);
  if (store) {
    return store.reduce(function (keys, protectedKey) {
      var plain = jksreader.decode(protectedKey, password);
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

// The protected keys of a Java KeyStore (the JDK's JKS, version 2), or null when the bytes are not one. Each is the
// encrypted data of the entry's EncryptedPrivateKeyInfo, read by its DER lengths (jksreader's own parse assumes
// a header of 24 bytes, which only keys of 216 bytes or more have); jksreader decodes it with the password.
function javaKeyStore(file) {
  // a header some providers' tools put before a JKS file
  var data = file[0] === 0x51 ? file.slice(6) : file;
  if (data.length < 12 || data.readUInt32BE(0) !== 0xfeedfeed || data.readUInt32BE(4) !== 2) {
    return null;
  }
  var position = 8;
  function take(size) {
    if (position + size > data.length) {
      throw new Error("unreadable_key");
    }
    position += size;
    return data.slice(position - size, position);
  }
  function number(size) {
    var bytes = take(size), value = 0;
    for (var i = 0; i < size; i++) {
      value = value * 256 + bytes[i];
    }
    return value;
  }
  // a DER element at `at`: where its contents start and end
  function element(der, at) {
    var length = der[at + 1], start = at + 2;
    if (length & 0x80) {
      var octets = length & 0x7f;
      length = 0;
      for (var i = 0; i < octets; i++) {
        length = length * 256 + der[start + i];
      }
      start += octets;
    }
    if (start + length > der.length) {
      throw new Error("unreadable_key");
    }
    return { start: start, end: start + length };
  }
  var keys = [];
  for (var entries = number(4); entries > 0; entries--) {
    var tag = number(4);
    take(number(2)); // the alias
    take(8); // the time it was made
    var chain = 1;
    if (tag === 1) {
      var info = take(number(4));
      var algorithm = element(info, element(info, 0).start);
      var encrypted = element(info, algorithm.end);
      keys.push(info.slice(encrypted.start, encrypted.end));
      chain = number(4);
    } else if (tag !== 2) {
      throw new Error("unreadable_key");
    }
    for (; chain > 0; chain--) {
      take(number(2)); // the certificate's type
      take(number(4));
    }
  }
  return keys.length ? keys : null;
}

// Whether the bytes are a Ukrainian key file (or an unencrypted DSTU 4145 key): the page gives other files to
// WebCrypto.
function recognises(bytes) {
  var data = Buffer.from(bytes);
  try {
    if (javaKeyStore(data) || isContainer(data)) {
      return true;
    }
  } catch (unreadable) {
    return false;
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
