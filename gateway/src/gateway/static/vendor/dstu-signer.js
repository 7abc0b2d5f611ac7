// DSTU 4145 signer for the cabinet's signing page, built by gateway/vendor-src/dstu/build.sh from npm:
//   asn1.js 4.10.1 (MIT)
//   bn.js 4.12.5 (MIT)
//   base64-js 1.5.1 (MIT)
//   bn.js 5.2.5 (MIT)
//   browser-resolve 2.0.0 (MIT)
//   buffer 5.2.1 (MIT)
//   gost89 0.1.11 (BSD)
//   ieee754 1.2.1 (BSD-3-Clause)
//   inherits 2.0.4 (ISC)
//   jksreader 1.0.0 (BSD)
//   jkurwa 1.21.0 (BSD)
//   js-lzma 0.1.0 (MIT)
//   js-sha1 0.6.0 (MIT)
//   minimalistic-assert 1.0.1 (ISC)
//   process 0.11.10 (MIT)
//   vm-browserify 1.1.2 (MIT)
(function(f){if(typeof exports==="object"&&typeof module!=="undefined"){module.exports=f()}else if(typeof define==="function"&&define.amd){define([],f)}else{var g;if(typeof window!=="undefined"){g=window}else if(typeof global!=="undefined"){g=global}else if(typeof self!=="undefined"){g=self}else{g=this}g.DstuSignerBundle = f()}})(function(){var define,module,exports;return (function(){function r(e,n,t){function o(i,f){if(!n[i]){if(!e[i]){var c="function"==typeof require&&require;if(!f&&c)return c(i,!0);if(u)return u(i,!0);var a=new Error("Cannot find module '"+i+"'");throw a.code="MODULE_NOT_FOUND",a}var p=n[i]={exports:{}};e[i][0].call(p.exports,function(r){var n=e[i][1][r];return o(n||r)},p,p.exports,r,e,n,t)}return n[i].exports}for(var u="function"==typeof require&&require,i=0;i<t.length;i++)o(t[i]);return o}return r})()({1:[function(require,module,exports){
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

},{"buffer":20,"gost89":21,"jksreader":32,"jkurwa/lib/models/index.js":43,"jkurwa/lib/spec/keystore.js":47,"jkurwa/lib/spec/pbes.js":48,"jkurwa/lib/spec/pfx.js":49}],2:[function(require,module,exports){
var asn1 = exports;

asn1.bignum = require('bn.js');

asn1.define = require('./asn1/api').define;
asn1.base = require('./asn1/base');
asn1.constants = require('./asn1/constants');
asn1.decoders = require('./asn1/decoders');
asn1.encoders = require('./asn1/encoders');

},{"./asn1/api":3,"./asn1/base":5,"./asn1/constants":9,"./asn1/decoders":11,"./asn1/encoders":14,"bn.js":16}],3:[function(require,module,exports){
var asn1 = require('../asn1');
var inherits = require('inherits');

var api = exports;

api.define = function define(name, body) {
  return new Entity(name, body);
};

function Entity(name, body) {
  this.name = name;
  this.body = body;

  this.decoders = {};
  this.encoders = {};
};

Entity.prototype._createNamed = function createNamed(base) {
  var named;
  try {
    named = require('vm').runInThisContext(
      '(function ' + this.name + '(entity) {\n' +
      '  this._initNamed(entity);\n' +
      '})'
    );
  } catch (e) {
    named = function (entity) {
      this._initNamed(entity);
    };
  }
  inherits(named, base);
  named.prototype._initNamed = function initnamed(entity) {
    base.call(this, entity);
  };

  return new named(this);
};

Entity.prototype._getDecoder = function _getDecoder(enc) {
  enc = enc || 'der';
  // Lazily create decoder
  if (!this.decoders.hasOwnProperty(enc))
    this.decoders[enc] = this._createNamed(asn1.decoders[enc]);
  return this.decoders[enc];
};

Entity.prototype.decode = function decode(data, enc, options) {
  return this._getDecoder(enc).decode(data, options);
};

Entity.prototype._getEncoder = function _getEncoder(enc) {
  enc = enc || 'der';
  // Lazily create encoder
  if (!this.encoders.hasOwnProperty(enc))
    this.encoders[enc] = this._createNamed(asn1.encoders[enc]);
  return this.encoders[enc];
};

Entity.prototype.encode = function encode(data, enc, /* internal */ reporter) {
  return this._getEncoder(enc).encode(data, reporter);
};

},{"../asn1":2,"inherits":30,"vm":72}],4:[function(require,module,exports){
var inherits = require('inherits');
var Reporter = require('../base').Reporter;
var Buffer = require('buffer').Buffer;

function DecoderBuffer(base, options) {
  Reporter.call(this, options);
  if (!Buffer.isBuffer(base)) {
    this.error('Input not Buffer');
    return;
  }

  this.base = base;
  this.offset = 0;
  this.length = base.length;
}
inherits(DecoderBuffer, Reporter);
exports.DecoderBuffer = DecoderBuffer;

DecoderBuffer.prototype.save = function save() {
  return { offset: this.offset, reporter: Reporter.prototype.save.call(this) };
};

DecoderBuffer.prototype.restore = function restore(save) {
  // Return skipped data
  var res = new DecoderBuffer(this.base);
  res.offset = save.offset;
  res.length = this.offset;

  this.offset = save.offset;
  Reporter.prototype.restore.call(this, save.reporter);

  return res;
};

DecoderBuffer.prototype.isEmpty = function isEmpty() {
  return this.offset === this.length;
};

DecoderBuffer.prototype.readUInt8 = function readUInt8(fail) {
  if (this.offset + 1 <= this.length)
    return this.base.readUInt8(this.offset++, true);
  else
    return this.error(fail || 'DecoderBuffer overrun');
}

DecoderBuffer.prototype.skip = function skip(bytes, fail) {
  if (!(this.offset + bytes <= this.length))
    return this.error(fail || 'DecoderBuffer overrun');

  var res = new DecoderBuffer(this.base);

  // Share reporter state
  res._reporterState = this._reporterState;

  res.offset = this.offset;
  res.length = this.offset + bytes;
  this.offset += bytes;
  return res;
}

DecoderBuffer.prototype.raw = function raw(save) {
  return this.base.slice(save ? save.offset : this.offset, this.length);
}

function EncoderBuffer(value, reporter) {
  if (Array.isArray(value)) {
    this.length = 0;
    this.value = value.map(function(item) {
      if (!(item instanceof EncoderBuffer))
        item = new EncoderBuffer(item, reporter);
      this.length += item.length;
      return item;
    }, this);
  } else if (typeof value === 'number') {
    if (!(0 <= value && value <= 0xff))
      return reporter.error('non-byte EncoderBuffer value');
    this.value = value;
    this.length = 1;
  } else if (typeof value === 'string') {
    this.value = value;
    this.length = Buffer.byteLength(value);
  } else if (Buffer.isBuffer(value)) {
    this.value = value;
    this.length = value.length;
  } else {
    return reporter.error('Unsupported type: ' + typeof value);
  }
}
exports.EncoderBuffer = EncoderBuffer;

EncoderBuffer.prototype.join = function join(out, offset) {
  if (!out)
    out = new Buffer(this.length);
  if (!offset)
    offset = 0;

  if (this.length === 0)
    return out;

  if (Array.isArray(this.value)) {
    this.value.forEach(function(item) {
      item.join(out, offset);
      offset += item.length;
    });
  } else {
    if (typeof this.value === 'number')
      out[offset] = this.value;
    else if (typeof this.value === 'string')
      out.write(this.value, offset);
    else if (Buffer.isBuffer(this.value))
      this.value.copy(out, offset);
    offset += this.length;
  }

  return out;
};

},{"../base":5,"buffer":20,"inherits":30}],5:[function(require,module,exports){
var base = exports;

base.Reporter = require('./reporter').Reporter;
base.DecoderBuffer = require('./buffer').DecoderBuffer;
base.EncoderBuffer = require('./buffer').EncoderBuffer;
base.Node = require('./node');

},{"./buffer":4,"./node":6,"./reporter":7}],6:[function(require,module,exports){
var Reporter = require('../base').Reporter;
var EncoderBuffer = require('../base').EncoderBuffer;
var DecoderBuffer = require('../base').DecoderBuffer;
var assert = require('minimalistic-assert');

// Supported tags
var tags = [
  'seq', 'seqof', 'set', 'setof', 'objid', 'bool',
  'gentime', 'utctime', 'null_', 'enum', 'int', 'objDesc',
  'bitstr', 'bmpstr', 'charstr', 'genstr', 'graphstr', 'ia5str', 'iso646str',
  'numstr', 'octstr', 'printstr', 't61str', 'unistr', 'utf8str', 'videostr'
];

// Public methods list
var methods = [
  'key', 'obj', 'use', 'optional', 'explicit', 'implicit', 'def', 'choice',
  'any', 'contains'
].concat(tags);

// Overrided methods list
var overrided = [
  '_peekTag', '_decodeTag', '_use',
  '_decodeStr', '_decodeObjid', '_decodeTime',
  '_decodeNull', '_decodeInt', '_decodeBool', '_decodeList',

  '_encodeComposite', '_encodeStr', '_encodeObjid', '_encodeTime',
  '_encodeNull', '_encodeInt', '_encodeBool'
];

function Node(enc, parent) {
  var state = {};
  this._baseState = state;

  state.enc = enc;

  state.parent = parent || null;
  state.children = null;

  // State
  state.tag = null;
  state.args = null;
  state.reverseArgs = null;
  state.choice = null;
  state.optional = false;
  state.any = false;
  state.obj = false;
  state.use = null;
  state.useDecoder = null;
  state.key = null;
  state['default'] = null;
  state.explicit = null;
  state.implicit = null;
  state.contains = null;

  // Should create new instance on each method
  if (!state.parent) {
    state.children = [];
    this._wrap();
  }
}
module.exports = Node;

var stateProps = [
  'enc', 'parent', 'children', 'tag', 'args', 'reverseArgs', 'choice',
  'optional', 'any', 'obj', 'use', 'alteredUse', 'key', 'default', 'explicit',
  'implicit', 'contains'
];

Node.prototype.clone = function clone() {
  var state = this._baseState;
  var cstate = {};
  stateProps.forEach(function(prop) {
    cstate[prop] = state[prop];
  });
  var res = new this.constructor(cstate.parent);
  res._baseState = cstate;
  return res;
};

Node.prototype._wrap = function wrap() {
  var state = this._baseState;
  methods.forEach(function(method) {
    this[method] = function _wrappedMethod() {
      var clone = new this.constructor(this);
      state.children.push(clone);
      return clone[method].apply(clone, arguments);
    };
  }, this);
};

Node.prototype._init = function init(body) {
  var state = this._baseState;

  assert(state.parent === null);
  body.call(this);

  // Filter children
  state.children = state.children.filter(function(child) {
    return child._baseState.parent === this;
  }, this);
  assert.equal(state.children.length, 1, 'Root node can have only one child');
};

Node.prototype._useArgs = function useArgs(args) {
  var state = this._baseState;

  // Filter children and args
  var children = args.filter(function(arg) {
    return arg instanceof this.constructor;
  }, this);
  args = args.filter(function(arg) {
    return !(arg instanceof this.constructor);
  }, this);

  if (children.length !== 0) {
    assert(state.children === null);
    state.children = children;

    // Replace parent to maintain backward link
    children.forEach(function(child) {
      child._baseState.parent = this;
    }, this);
  }
  if (args.length !== 0) {
    assert(state.args === null);
    state.args = args;
    state.reverseArgs = args.map(function(arg) {
      if (typeof arg !== 'object' || arg.constructor !== Object)
        return arg;

      var res = {};
      Object.keys(arg).forEach(function(key) {
        if (key == (key | 0))
          key |= 0;
        var value = arg[key];
        res[value] = key;
      });
      return res;
    });
  }
};

//
// Overrided methods
//

overrided.forEach(function(method) {
  Node.prototype[method] = function _overrided() {
    var state = this._baseState;
    throw new Error(method + ' not implemented for encoding: ' + state.enc);
  };
});

//
// Public methods
//

tags.forEach(function(tag) {
  Node.prototype[tag] = function _tagMethod() {
    var state = this._baseState;
    var args = Array.prototype.slice.call(arguments);

    assert(state.tag === null);
    state.tag = tag;

    this._useArgs(args);

    return this;
  };
});

Node.prototype.use = function use(item) {
  assert(item);
  var state = this._baseState;

  assert(state.use === null);
  state.use = item;

  return this;
};

Node.prototype.optional = function optional() {
  var state = this._baseState;

  state.optional = true;

  return this;
};

Node.prototype.def = function def(val) {
  var state = this._baseState;

  assert(state['default'] === null);
  state['default'] = val;
  state.optional = true;

  return this;
};

Node.prototype.explicit = function explicit(num) {
  var state = this._baseState;

  assert(state.explicit === null && state.implicit === null);
  state.explicit = num;

  return this;
};

Node.prototype.implicit = function implicit(num) {
  var state = this._baseState;

  assert(state.explicit === null && state.implicit === null);
  state.implicit = num;

  return this;
};

Node.prototype.obj = function obj() {
  var state = this._baseState;
  var args = Array.prototype.slice.call(arguments);

  state.obj = true;

  if (args.length !== 0)
    this._useArgs(args);

  return this;
};

Node.prototype.key = function key(newKey) {
  var state = this._baseState;

  assert(state.key === null);
  state.key = newKey;

  return this;
};

Node.prototype.any = function any() {
  var state = this._baseState;

  state.any = true;

  return this;
};

Node.prototype.choice = function choice(obj) {
  var state = this._baseState;

  assert(state.choice === null);
  state.choice = obj;
  this._useArgs(Object.keys(obj).map(function(key) {
    return obj[key];
  }));

  return this;
};

Node.prototype.contains = function contains(item) {
  var state = this._baseState;

  assert(state.use === null);
  state.contains = item;

  return this;
};

//
// Decoding
//

Node.prototype._decode = function decode(input, options) {
  var state = this._baseState;

  // Decode root node
  if (state.parent === null)
    return input.wrapResult(state.children[0]._decode(input, options));

  var result = state['default'];
  var present = true;

  var prevKey = null;
  if (state.key !== null)
    prevKey = input.enterKey(state.key);

  // Check if tag is there
  if (state.optional) {
    var tag = null;
    if (state.explicit !== null)
      tag = state.explicit;
    else if (state.implicit !== null)
      tag = state.implicit;
    else if (state.tag !== null)
      tag = state.tag;

    if (tag === null && !state.any) {
      // Trial and Error
      var save = input.save();
      try {
        if (state.choice === null)
          this._decodeGeneric(state.tag, input, options);
        else
          this._decodeChoice(input, options);
        present = true;
      } catch (e) {
        present = false;
      }
      input.restore(save);
    } else {
      present = this._peekTag(input, tag, state.any);

      if (input.isError(present))
        return present;
    }
  }

  // Push object on stack
  var prevObj;
  if (state.obj && present)
    prevObj = input.enterObject();

  if (present) {
    // Unwrap explicit values
    if (state.explicit !== null) {
      var explicit = this._decodeTag(input, state.explicit);
      if (input.isError(explicit))
        return explicit;
      input = explicit;
    }

    var start = input.offset;

    // Unwrap implicit and normal values
    if (state.use === null && state.choice === null) {
      if (state.any)
        var save = input.save();
      var body = this._decodeTag(
        input,
        state.implicit !== null ? state.implicit : state.tag,
        state.any
      );
      if (input.isError(body))
        return body;

      if (state.any)
        result = input.raw(save);
      else
        input = body;
    }

    if (options && options.track && state.tag !== null)
      options.track(input.path(), start, input.length, 'tagged');

    if (options && options.track && state.tag !== null)
      options.track(input.path(), input.offset, input.length, 'content');

    // Select proper method for tag
    if (state.any)
      result = result;
    else if (state.choice === null)
      result = this._decodeGeneric(state.tag, input, options);
    else
      result = this._decodeChoice(input, options);

    if (input.isError(result))
      return result;

    // Decode children
    if (!state.any && state.choice === null && state.children !== null) {
      state.children.forEach(function decodeChildren(child) {
        // NOTE: We are ignoring errors here, to let parser continue with other
        // parts of encoded data
        child._decode(input, options);
      });
    }

    // Decode contained/encoded by schema, only in bit or octet strings
    if (state.contains && (state.tag === 'octstr' || state.tag === 'bitstr')) {
      var data = new DecoderBuffer(result);
      result = this._getUse(state.contains, input._reporterState.obj)
          ._decode(data, options);
    }
  }

  // Pop object
  if (state.obj && present)
    result = input.leaveObject(prevObj);

  // Set key
  if (state.key !== null && (result !== null || present === true))
    input.leaveKey(prevKey, state.key, result);
  else if (prevKey !== null)
    input.exitKey(prevKey);

  return result;
};

Node.prototype._decodeGeneric = function decodeGeneric(tag, input, options) {
  var state = this._baseState;

  if (tag === 'seq' || tag === 'set')
    return null;
  if (tag === 'seqof' || tag === 'setof')
    return this._decodeList(input, tag, state.args[0], options);
  else if (/str$/.test(tag))
    return this._decodeStr(input, tag, options);
  else if (tag === 'objid' && state.args)
    return this._decodeObjid(input, state.args[0], state.args[1], options);
  else if (tag === 'objid')
    return this._decodeObjid(input, null, null, options);
  else if (tag === 'gentime' || tag === 'utctime')
    return this._decodeTime(input, tag, options);
  else if (tag === 'null_')
    return this._decodeNull(input, options);
  else if (tag === 'bool')
    return this._decodeBool(input, options);
  else if (tag === 'objDesc')
    return this._decodeStr(input, tag, options);
  else if (tag === 'int' || tag === 'enum')
    return this._decodeInt(input, state.args && state.args[0], options);

  if (state.use !== null) {
    return this._getUse(state.use, input._reporterState.obj)
        ._decode(input, options);
  } else {
    return input.error('unknown tag: ' + tag);
  }
};

Node.prototype._getUse = function _getUse(entity, obj) {

  var state = this._baseState;
  // Create altered use decoder if implicit is set
  state.useDecoder = this._use(entity, obj);
  assert(state.useDecoder._baseState.parent === null);
  state.useDecoder = state.useDecoder._baseState.children[0];
  if (state.implicit !== state.useDecoder._baseState.implicit) {
    state.useDecoder = state.useDecoder.clone();
    state.useDecoder._baseState.implicit = state.implicit;
  }
  return state.useDecoder;
};

Node.prototype._decodeChoice = function decodeChoice(input, options) {
  var state = this._baseState;
  var result = null;
  var match = false;

  Object.keys(state.choice).some(function(key) {
    var save = input.save();
    var node = state.choice[key];
    try {
      var value = node._decode(input, options);
      if (input.isError(value))
        return false;

      result = { type: key, value: value };
      match = true;
    } catch (e) {
      input.restore(save);
      return false;
    }
    return true;
  }, this);

  if (!match)
    return input.error('Choice not matched');

  return result;
};

//
// Encoding
//

Node.prototype._createEncoderBuffer = function createEncoderBuffer(data) {
  return new EncoderBuffer(data, this.reporter);
};

Node.prototype._encode = function encode(data, reporter, parent) {
  var state = this._baseState;
  if (state['default'] !== null && state['default'] === data)
    return;

  var result = this._encodeValue(data, reporter, parent);
  if (result === undefined)
    return;

  if (this._skipDefault(result, reporter, parent))
    return;

  return result;
};

Node.prototype._encodeValue = function encode(data, reporter, parent) {
  var state = this._baseState;

  // Decode root node
  if (state.parent === null)
    return state.children[0]._encode(data, reporter || new Reporter());

  var result = null;

  // Set reporter to share it with a child class
  this.reporter = reporter;

  // Check if data is there
  if (state.optional && data === undefined) {
    if (state['default'] !== null)
      data = state['default']
    else
      return;
  }

  // Encode children first
  var content = null;
  var primitive = false;
  if (state.any) {
    // Anything that was given is translated to buffer
    result = this._createEncoderBuffer(data);
  } else if (state.choice) {
    result = this._encodeChoice(data, reporter);
  } else if (state.contains) {
    content = this._getUse(state.contains, parent)._encode(data, reporter);
    primitive = true;
  } else if (state.children) {
    content = state.children.map(function(child) {
      if (child._baseState.tag === 'null_')
        return child._encode(null, reporter, data);

      if (child._baseState.key === null)
        return reporter.error('Child should have a key');
      var prevKey = reporter.enterKey(child._baseState.key);

      if (typeof data !== 'object')
        return reporter.error('Child expected, but input is not object');

      var res = child._encode(data[child._baseState.key], reporter, data);
      reporter.leaveKey(prevKey);

      return res;
    }, this).filter(function(child) {
      return child;
    });
    content = this._createEncoderBuffer(content);
  } else {
    if (state.tag === 'seqof' || state.tag === 'setof') {
      // TODO(indutny): this should be thrown on DSL level
      if (!(state.args && state.args.length === 1))
        return reporter.error('Too many args for : ' + state.tag);

      if (!Array.isArray(data))
        return reporter.error('seqof/setof, but data is not Array');

      var child = this.clone();
      child._baseState.implicit = null;
      content = this._createEncoderBuffer(data.map(function(item) {
        var state = this._baseState;

        return this._getUse(state.args[0], data)._encode(item, reporter);
      }, child));
    } else if (state.use !== null) {
      result = this._getUse(state.use, parent)._encode(data, reporter);
    } else {
      content = this._encodePrimitive(state.tag, data);
      primitive = true;
    }
  }

  // Encode data itself
  var result;
  if (!state.any && state.choice === null) {
    var tag = state.implicit !== null ? state.implicit : state.tag;
    var cls = state.implicit === null ? 'universal' : 'context';

    if (tag === null) {
      if (state.use === null)
        reporter.error('Tag could be omitted only for .use()');
    } else {
      if (state.use === null)
        result = this._encodeComposite(tag, primitive, cls, content);
    }
  }

  // Wrap in explicit
  if (state.explicit !== null)
    result = this._encodeComposite(state.explicit, false, 'context', result);

  return result;
};

Node.prototype._encodeChoice = function encodeChoice(data, reporter) {
  var state = this._baseState;

  var node = state.choice[data.type];
  if (!node) {
    assert(
        false,
        data.type + ' not found in ' +
            JSON.stringify(Object.keys(state.choice)));
  }
  return node._encode(data.value, reporter);
};

Node.prototype._encodePrimitive = function encodePrimitive(tag, data) {
  var state = this._baseState;

  if (/str$/.test(tag))
    return this._encodeStr(data, tag);
  else if (tag === 'objid' && state.args)
    return this._encodeObjid(data, state.reverseArgs[0], state.args[1]);
  else if (tag === 'objid')
    return this._encodeObjid(data, null, null);
  else if (tag === 'gentime' || tag === 'utctime')
    return this._encodeTime(data, tag);
  else if (tag === 'null_')
    return this._encodeNull();
  else if (tag === 'int' || tag === 'enum')
    return this._encodeInt(data, state.args && state.reverseArgs[0]);
  else if (tag === 'bool')
    return this._encodeBool(data);
  else if (tag === 'objDesc')
    return this._encodeStr(data, tag);
  else
    throw new Error('Unsupported tag: ' + tag);
};

Node.prototype._isNumstr = function isNumstr(str) {
  return /^[0-9 ]*$/.test(str);
};

Node.prototype._isPrintstr = function isPrintstr(str) {
  return /^[A-Za-z0-9 '\(\)\+,\-\.\/:=\?]*$/.test(str);
};

},{"../base":5,"minimalistic-assert":70}],7:[function(require,module,exports){
var inherits = require('inherits');

function Reporter(options) {
  this._reporterState = {
    obj: null,
    path: [],
    options: options || {},
    errors: []
  };
}
exports.Reporter = Reporter;

Reporter.prototype.isError = function isError(obj) {
  return obj instanceof ReporterError;
};

Reporter.prototype.save = function save() {
  var state = this._reporterState;

  return { obj: state.obj, pathLen: state.path.length };
};

Reporter.prototype.restore = function restore(data) {
  var state = this._reporterState;

  state.obj = data.obj;
  state.path = state.path.slice(0, data.pathLen);
};

Reporter.prototype.enterKey = function enterKey(key) {
  return this._reporterState.path.push(key);
};

Reporter.prototype.exitKey = function exitKey(index) {
  var state = this._reporterState;

  state.path = state.path.slice(0, index - 1);
};

Reporter.prototype.leaveKey = function leaveKey(index, key, value) {
  var state = this._reporterState;

  this.exitKey(index);
  if (state.obj !== null)
    state.obj[key] = value;
};

Reporter.prototype.path = function path() {
  return this._reporterState.path.join('/');
};

Reporter.prototype.enterObject = function enterObject() {
  var state = this._reporterState;

  var prev = state.obj;
  state.obj = {};
  return prev;
};

Reporter.prototype.leaveObject = function leaveObject(prev) {
  var state = this._reporterState;

  var now = state.obj;
  state.obj = prev;
  return now;
};

Reporter.prototype.error = function error(msg) {
  var err;
  var state = this._reporterState;

  var inherited = msg instanceof ReporterError;
  if (inherited) {
    err = msg;
  } else {
    err = new ReporterError(state.path.map(function(elem) {
      return '[' + JSON.stringify(elem) + ']';
    }).join(''), msg.message || msg, msg.stack);
  }

  if (!state.options.partial)
    throw err;

  if (!inherited)
    state.errors.push(err);

  return err;
};

Reporter.prototype.wrapResult = function wrapResult(result) {
  var state = this._reporterState;
  if (!state.options.partial)
    return result;

  return {
    result: this.isError(result) ? null : result,
    errors: state.errors
  };
};

function ReporterError(path, msg) {
  this.path = path;
  this.rethrow(msg);
};
inherits(ReporterError, Error);

ReporterError.prototype.rethrow = function rethrow(msg) {
  this.message = msg + ' at: ' + (this.path || '(shallow)');
  if (Error.captureStackTrace)
    Error.captureStackTrace(this, ReporterError);

  if (!this.stack) {
    try {
      // IE only adds stack when thrown
      throw new Error(this.message);
    } catch (e) {
      this.stack = e.stack;
    }
  }
  return this;
};

},{"inherits":30}],8:[function(require,module,exports){
var constants = require('../constants');

exports.tagClass = {
  0: 'universal',
  1: 'application',
  2: 'context',
  3: 'private'
};
exports.tagClassByName = constants._reverse(exports.tagClass);

exports.tag = {
  0x00: 'end',
  0x01: 'bool',
  0x02: 'int',
  0x03: 'bitstr',
  0x04: 'octstr',
  0x05: 'null_',
  0x06: 'objid',
  0x07: 'objDesc',
  0x08: 'external',
  0x09: 'real',
  0x0a: 'enum',
  0x0b: 'embed',
  0x0c: 'utf8str',
  0x0d: 'relativeOid',
  0x10: 'seq',
  0x11: 'set',
  0x12: 'numstr',
  0x13: 'printstr',
  0x14: 't61str',
  0x15: 'videostr',
  0x16: 'ia5str',
  0x17: 'utctime',
  0x18: 'gentime',
  0x19: 'graphstr',
  0x1a: 'iso646str',
  0x1b: 'genstr',
  0x1c: 'unistr',
  0x1d: 'charstr',
  0x1e: 'bmpstr'
};
exports.tagByName = constants._reverse(exports.tag);

},{"../constants":9}],9:[function(require,module,exports){
var constants = exports;

// Helper
constants._reverse = function reverse(map) {
  var res = {};

  Object.keys(map).forEach(function(key) {
    // Convert key to integer if it is stringified
    if ((key | 0) == key)
      key = key | 0;

    var value = map[key];
    res[value] = key;
  });

  return res;
};

constants.der = require('./der');

},{"./der":8}],10:[function(require,module,exports){
var inherits = require('inherits');

var asn1 = require('../../asn1');
var base = asn1.base;
var bignum = asn1.bignum;

// Import DER constants
var der = asn1.constants.der;

function DERDecoder(entity) {
  this.enc = 'der';
  this.name = entity.name;
  this.entity = entity;

  // Construct base tree
  this.tree = new DERNode();
  this.tree._init(entity.body);
};
module.exports = DERDecoder;

DERDecoder.prototype.decode = function decode(data, options) {
  if (!(data instanceof base.DecoderBuffer))
    data = new base.DecoderBuffer(data, options);

  return this.tree._decode(data, options);
};

// Tree methods

function DERNode(parent) {
  base.Node.call(this, 'der', parent);
}
inherits(DERNode, base.Node);

DERNode.prototype._peekTag = function peekTag(buffer, tag, any) {
  if (buffer.isEmpty())
    return false;

  var state = buffer.save();
  var decodedTag = derDecodeTag(buffer, 'Failed to peek tag: "' + tag + '"');
  if (buffer.isError(decodedTag))
    return decodedTag;

  buffer.restore(state);

  return decodedTag.tag === tag || decodedTag.tagStr === tag ||
    (decodedTag.tagStr + 'of') === tag || any;
};

DERNode.prototype._decodeTag = function decodeTag(buffer, tag, any) {
  var decodedTag = derDecodeTag(buffer,
                                'Failed to decode tag of "' + tag + '"');
  if (buffer.isError(decodedTag))
    return decodedTag;

  var len = derDecodeLen(buffer,
                         decodedTag.primitive,
                         'Failed to get length of "' + tag + '"');

  // Failure
  if (buffer.isError(len))
    return len;

  if (!any &&
      decodedTag.tag !== tag &&
      decodedTag.tagStr !== tag &&
      decodedTag.tagStr + 'of' !== tag) {
    return buffer.error('Failed to match tag: "' + tag + '"');
  }

  if (decodedTag.primitive || len !== null)
    return buffer.skip(len, 'Failed to match body of: "' + tag + '"');

  // Indefinite length... find END tag
  var state = buffer.save();
  var res = this._skipUntilEnd(
      buffer,
      'Failed to skip indefinite length body: "' + this.tag + '"');
  if (buffer.isError(res))
    return res;

  len = buffer.offset - state.offset;
  buffer.restore(state);
  return buffer.skip(len, 'Failed to match body of: "' + tag + '"');
};

DERNode.prototype._skipUntilEnd = function skipUntilEnd(buffer, fail) {
  while (true) {
    var tag = derDecodeTag(buffer, fail);
    if (buffer.isError(tag))
      return tag;
    var len = derDecodeLen(buffer, tag.primitive, fail);
    if (buffer.isError(len))
      return len;

    var res;
    if (tag.primitive || len !== null)
      res = buffer.skip(len)
    else
      res = this._skipUntilEnd(buffer, fail);

    // Failure
    if (buffer.isError(res))
      return res;

    if (tag.tagStr === 'end')
      break;
  }
};

DERNode.prototype._decodeList = function decodeList(buffer, tag, decoder,
                                                    options) {
  var result = [];
  while (!buffer.isEmpty()) {
    var possibleEnd = this._peekTag(buffer, 'end');
    if (buffer.isError(possibleEnd))
      return possibleEnd;

    var res = decoder.decode(buffer, 'der', options);
    if (buffer.isError(res) && possibleEnd)
      break;
    result.push(res);
  }
  return result;
};

DERNode.prototype._decodeStr = function decodeStr(buffer, tag) {
  if (tag === 'bitstr') {
    var unused = buffer.readUInt8();
    if (buffer.isError(unused))
      return unused;
    return { unused: unused, data: buffer.raw() };
  } else if (tag === 'bmpstr') {
    var raw = buffer.raw();
    if (raw.length % 2 === 1)
      return buffer.error('Decoding of string type: bmpstr length mismatch');

    var str = '';
    for (var i = 0; i < raw.length / 2; i++) {
      str += String.fromCharCode(raw.readUInt16BE(i * 2));
    }
    return str;
  } else if (tag === 'numstr') {
    var numstr = buffer.raw().toString('ascii');
    if (!this._isNumstr(numstr)) {
      return buffer.error('Decoding of string type: ' +
                          'numstr unsupported characters');
    }
    return numstr;
  } else if (tag === 'octstr') {
    return buffer.raw();
  } else if (tag === 'objDesc') {
    return buffer.raw();
  } else if (tag === 'printstr') {
    var printstr = buffer.raw().toString('ascii');
    if (!this._isPrintstr(printstr)) {
      return buffer.error('Decoding of string type: ' +
                          'printstr unsupported characters');
    }
    return printstr;
  } else if (/str$/.test(tag)) {
    return buffer.raw().toString();
  } else {
    return buffer.error('Decoding of string type: ' + tag + ' unsupported');
  }
};

DERNode.prototype._decodeObjid = function decodeObjid(buffer, values, relative) {
  var result;
  var identifiers = [];
  var ident = 0;
  while (!buffer.isEmpty()) {
    var subident = buffer.readUInt8();
    ident <<= 7;
    ident |= subident & 0x7f;
    if ((subident & 0x80) === 0) {
      identifiers.push(ident);
      ident = 0;
    }
  }
  if (subident & 0x80)
    identifiers.push(ident);

  var first = (identifiers[0] / 40) | 0;
  var second = identifiers[0] % 40;

  if (relative)
    result = identifiers;
  else
    result = [first, second].concat(identifiers.slice(1));

  if (values) {
    var tmp = values[result.join(' ')];
    if (tmp === undefined)
      tmp = values[result.join('.')];
    if (tmp !== undefined)
      result = tmp;
  }

  return result;
};

DERNode.prototype._decodeTime = function decodeTime(buffer, tag) {
  var str = buffer.raw().toString();
  if (tag === 'gentime') {
    var year = str.slice(0, 4) | 0;
    var mon = str.slice(4, 6) | 0;
    var day = str.slice(6, 8) | 0;
    var hour = str.slice(8, 10) | 0;
    var min = str.slice(10, 12) | 0;
    var sec = str.slice(12, 14) | 0;
  } else if (tag === 'utctime') {
    var year = str.slice(0, 2) | 0;
    var mon = str.slice(2, 4) | 0;
    var day = str.slice(4, 6) | 0;
    var hour = str.slice(6, 8) | 0;
    var min = str.slice(8, 10) | 0;
    var sec = str.slice(10, 12) | 0;
    if (year < 70)
      year = 2000 + year;
    else
      year = 1900 + year;
  } else {
    return buffer.error('Decoding ' + tag + ' time is not supported yet');
  }

  return Date.UTC(year, mon - 1, day, hour, min, sec, 0);
};

DERNode.prototype._decodeNull = function decodeNull(buffer) {
  return null;
};

DERNode.prototype._decodeBool = function decodeBool(buffer) {
  var res = buffer.readUInt8();
  if (buffer.isError(res))
    return res;
  else
    return res !== 0;
};

DERNode.prototype._decodeInt = function decodeInt(buffer, values) {
  // Bigint, return as it is (assume big endian)
  var raw = buffer.raw();
  var res = new bignum(raw);

  if (values)
    res = values[res.toString(10)] || res;

  return res;
};

DERNode.prototype._use = function use(entity, obj) {
  if (typeof entity === 'function')
    entity = entity(obj);
  return entity._getDecoder('der').tree;
};

// Utility methods

function derDecodeTag(buf, fail) {
  var tag = buf.readUInt8(fail);
  if (buf.isError(tag))
    return tag;

  var cls = der.tagClass[tag >> 6];
  var primitive = (tag & 0x20) === 0;

  // Multi-octet tag - load
  if ((tag & 0x1f) === 0x1f) {
    var oct = tag;
    tag = 0;
    while ((oct & 0x80) === 0x80) {
      oct = buf.readUInt8(fail);
      if (buf.isError(oct))
        return oct;

      tag <<= 7;
      tag |= oct & 0x7f;
    }
  } else {
    tag &= 0x1f;
  }
  var tagStr = der.tag[tag];

  return {
    cls: cls,
    primitive: primitive,
    tag: tag,
    tagStr: tagStr
  };
}

function derDecodeLen(buf, primitive, fail) {
  var len = buf.readUInt8(fail);
  if (buf.isError(len))
    return len;

  // Indefinite form
  if (!primitive && len === 0x80)
    return null;

  // Definite form
  if ((len & 0x80) === 0) {
    // Short form
    return len;
  }

  // Long form
  var num = len & 0x7f;
  if (num > 4)
    return buf.error('length octect is too long');

  len = 0;
  for (var i = 0; i < num; i++) {
    len <<= 8;
    var j = buf.readUInt8(fail);
    if (buf.isError(j))
      return j;
    len |= j;
  }

  return len;
}

},{"../../asn1":2,"inherits":30}],11:[function(require,module,exports){
var decoders = exports;

decoders.der = require('./der');
decoders.pem = require('./pem');

},{"./der":10,"./pem":12}],12:[function(require,module,exports){
var inherits = require('inherits');
var Buffer = require('buffer').Buffer;

var DERDecoder = require('./der');

function PEMDecoder(entity) {
  DERDecoder.call(this, entity);
  this.enc = 'pem';
};
inherits(PEMDecoder, DERDecoder);
module.exports = PEMDecoder;

PEMDecoder.prototype.decode = function decode(data, options) {
  var lines = data.toString().split(/[\r\n]+/g);

  var label = options.label.toUpperCase();

  var re = /^-----(BEGIN|END) ([^-]+)-----$/;
  var start = -1;
  var end = -1;
  for (var i = 0; i < lines.length; i++) {
    var match = lines[i].match(re);
    if (match === null)
      continue;

    if (match[2] !== label)
      continue;

    if (start === -1) {
      if (match[1] !== 'BEGIN')
        break;
      start = i;
    } else {
      if (match[1] !== 'END')
        break;
      end = i;
      break;
    }
  }
  if (start === -1 || end === -1)
    throw new Error('PEM section not found for: ' + label);

  var base64 = lines.slice(start + 1, end).join('');
  // Remove excessive symbols
  base64.replace(/[^a-z0-9\+\/=]+/gi, '');

  var input = new Buffer(base64, 'base64');
  return DERDecoder.prototype.decode.call(this, input, options);
};

},{"./der":10,"buffer":20,"inherits":30}],13:[function(require,module,exports){
var inherits = require('inherits');
var Buffer = require('buffer').Buffer;

var asn1 = require('../../asn1');
var base = asn1.base;

// Import DER constants
var der = asn1.constants.der;

function DEREncoder(entity) {
  this.enc = 'der';
  this.name = entity.name;
  this.entity = entity;

  // Construct base tree
  this.tree = new DERNode();
  this.tree._init(entity.body);
};
module.exports = DEREncoder;

DEREncoder.prototype.encode = function encode(data, reporter) {
  return this.tree._encode(data, reporter).join();
};

// Tree methods

function DERNode(parent) {
  base.Node.call(this, 'der', parent);
}
inherits(DERNode, base.Node);

DERNode.prototype._encodeComposite = function encodeComposite(tag,
                                                              primitive,
                                                              cls,
                                                              content) {
  var encodedTag = encodeTag(tag, primitive, cls, this.reporter);

  // Short form
  if (content.length < 0x80) {
    var header = new Buffer(2);
    header[0] = encodedTag;
    header[1] = content.length;
    return this._createEncoderBuffer([ header, content ]);
  }

  // Long form
  // Count octets required to store length
  var lenOctets = 1;
  for (var i = content.length; i >= 0x100; i >>= 8)
    lenOctets++;

  var header = new Buffer(1 + 1 + lenOctets);
  header[0] = encodedTag;
  header[1] = 0x80 | lenOctets;

  for (var i = 1 + lenOctets, j = content.length; j > 0; i--, j >>= 8)
    header[i] = j & 0xff;

  return this._createEncoderBuffer([ header, content ]);
};

DERNode.prototype._encodeStr = function encodeStr(str, tag) {
  if (tag === 'bitstr') {
    return this._createEncoderBuffer([ str.unused | 0, str.data ]);
  } else if (tag === 'bmpstr') {
    var buf = new Buffer(str.length * 2);
    for (var i = 0; i < str.length; i++) {
      buf.writeUInt16BE(str.charCodeAt(i), i * 2);
    }
    return this._createEncoderBuffer(buf);
  } else if (tag === 'numstr') {
    if (!this._isNumstr(str)) {
      return this.reporter.error('Encoding of string type: numstr supports ' +
                                 'only digits and space');
    }
    return this._createEncoderBuffer(str);
  } else if (tag === 'printstr') {
    if (!this._isPrintstr(str)) {
      return this.reporter.error('Encoding of string type: printstr supports ' +
                                 'only latin upper and lower case letters, ' +
                                 'digits, space, apostrophe, left and rigth ' +
                                 'parenthesis, plus sign, comma, hyphen, ' +
                                 'dot, slash, colon, equal sign, ' +
                                 'question mark');
    }
    return this._createEncoderBuffer(str);
  } else if (/str$/.test(tag)) {
    return this._createEncoderBuffer(str);
  } else if (tag === 'objDesc') {
    return this._createEncoderBuffer(str);
  } else {
    return this.reporter.error('Encoding of string type: ' + tag +
                               ' unsupported');
  }
};

DERNode.prototype._encodeObjid = function encodeObjid(id, values, relative) {
  if (typeof id === 'string') {
    if (!values)
      return this.reporter.error('string objid given, but no values map found');
    if (!values.hasOwnProperty(id))
      return this.reporter.error('objid not found in values map');
    id = values[id].split(/[\s\.]+/g);
    for (var i = 0; i < id.length; i++)
      id[i] |= 0;
  } else if (Array.isArray(id)) {
    id = id.slice();
    for (var i = 0; i < id.length; i++)
      id[i] |= 0;
  }

  if (!Array.isArray(id)) {
    return this.reporter.error('objid() should be either array or string, ' +
                               'got: ' + JSON.stringify(id));
  }

  if (!relative) {
    if (id[1] >= 40)
      return this.reporter.error('Second objid identifier OOB');
    id.splice(0, 2, id[0] * 40 + id[1]);
  }

  // Count number of octets
  var size = 0;
  for (var i = 0; i < id.length; i++) {
    var ident = id[i];
    for (size++; ident >= 0x80; ident >>= 7)
      size++;
  }

  var objid = new Buffer(size);
  var offset = objid.length - 1;
  for (var i = id.length - 1; i >= 0; i--) {
    var ident = id[i];
    objid[offset--] = ident & 0x7f;
    while ((ident >>= 7) > 0)
      objid[offset--] = 0x80 | (ident & 0x7f);
  }

  return this._createEncoderBuffer(objid);
};

function two(num) {
  if (num < 10)
    return '0' + num;
  else
    return num;
}

DERNode.prototype._encodeTime = function encodeTime(time, tag) {
  var str;
  var date = new Date(time);

  if (tag === 'gentime') {
    str = [
      two(date.getFullYear()),
      two(date.getUTCMonth() + 1),
      two(date.getUTCDate()),
      two(date.getUTCHours()),
      two(date.getUTCMinutes()),
      two(date.getUTCSeconds()),
      'Z'
    ].join('');
  } else if (tag === 'utctime') {
    str = [
      two(date.getFullYear() % 100),
      two(date.getUTCMonth() + 1),
      two(date.getUTCDate()),
      two(date.getUTCHours()),
      two(date.getUTCMinutes()),
      two(date.getUTCSeconds()),
      'Z'
    ].join('');
  } else {
    this.reporter.error('Encoding ' + tag + ' time is not supported yet');
  }

  return this._encodeStr(str, 'octstr');
};

DERNode.prototype._encodeNull = function encodeNull() {
  return this._createEncoderBuffer('');
};

DERNode.prototype._encodeInt = function encodeInt(num, values) {
  if (typeof num === 'string') {
    if (!values)
      return this.reporter.error('String int or enum given, but no values map');
    if (!values.hasOwnProperty(num)) {
      return this.reporter.error('Values map doesn\'t contain: ' +
                                 JSON.stringify(num));
    }
    num = values[num];
  }

  // Bignum, assume big endian
  if (typeof num !== 'number' && !Buffer.isBuffer(num)) {
    var numArray = num.toArray();
    if (!num.sign && numArray[0] & 0x80) {
      numArray.unshift(0);
    }
    num = new Buffer(numArray);
  }

  if (Buffer.isBuffer(num)) {
    var size = num.length;
    if (num.length === 0)
      size++;

    var out = new Buffer(size);
    num.copy(out);
    if (num.length === 0)
      out[0] = 0
    return this._createEncoderBuffer(out);
  }

  if (num < 0x80)
    return this._createEncoderBuffer(num);

  if (num < 0x100)
    return this._createEncoderBuffer([0, num]);

  var size = 1;
  for (var i = num; i >= 0x100; i >>= 8)
    size++;

  var out = new Array(size);
  for (var i = out.length - 1; i >= 0; i--) {
    out[i] = num & 0xff;
    num >>= 8;
  }
  if(out[0] & 0x80) {
    out.unshift(0);
  }

  return this._createEncoderBuffer(new Buffer(out));
};

DERNode.prototype._encodeBool = function encodeBool(value) {
  return this._createEncoderBuffer(value ? 0xff : 0);
};

DERNode.prototype._use = function use(entity, obj) {
  if (typeof entity === 'function')
    entity = entity(obj);
  return entity._getEncoder('der').tree;
};

DERNode.prototype._skipDefault = function skipDefault(dataBuffer, reporter, parent) {
  var state = this._baseState;
  var i;
  if (state['default'] === null)
    return false;

  var data = dataBuffer.join();
  if (state.defaultBuffer === undefined)
    state.defaultBuffer = this._encodeValue(state['default'], reporter, parent).join();

  if (data.length !== state.defaultBuffer.length)
    return false;

  for (i=0; i < data.length; i++)
    if (data[i] !== state.defaultBuffer[i])
      return false;

  return true;
};

// Utility methods

function encodeTag(tag, primitive, cls, reporter) {
  var res;

  if (tag === 'seqof')
    tag = 'seq';
  else if (tag === 'setof')
    tag = 'set';

  if (der.tagByName.hasOwnProperty(tag))
    res = der.tagByName[tag];
  else if (typeof tag === 'number' && (tag | 0) === tag)
    res = tag;
  else
    return reporter.error('Unknown tag: ' + tag);

  if (res >= 0x1f)
    return reporter.error('Multi-octet tag encoding unsupported');

  if (!primitive)
    res |= 0x20;

  res |= (der.tagClassByName[cls || 'universal'] << 6);

  return res;
}

},{"../../asn1":2,"buffer":20,"inherits":30}],14:[function(require,module,exports){
var encoders = exports;

encoders.der = require('./der');
encoders.pem = require('./pem');

},{"./der":13,"./pem":15}],15:[function(require,module,exports){
var inherits = require('inherits');

var DEREncoder = require('./der');

function PEMEncoder(entity) {
  DEREncoder.call(this, entity);
  this.enc = 'pem';
};
inherits(PEMEncoder, DEREncoder);
module.exports = PEMEncoder;

PEMEncoder.prototype.encode = function encode(data, options) {
  var buf = DEREncoder.prototype.encode.call(this, data);

  var p = buf.toString('base64');
  var out = [ '-----BEGIN ' + options.label + '-----' ];
  for (var i = 0; i < p.length; i += 64)
    out.push(p.slice(i, i + 64));
  out.push('-----END ' + options.label + '-----');
  return out.join('\n');
};

},{"./der":13,"inherits":30}],16:[function(require,module,exports){
(function (module, exports) {
  'use strict';

  // Utils
  function assert (val, msg) {
    if (!val) throw new Error(msg || 'Assertion failed');
  }

  // Could use `inherits` module, but don't want to move from single file
  // architecture yet.
  function inherits (ctor, superCtor) {
    ctor.super_ = superCtor;
    var TempCtor = function () {};
    TempCtor.prototype = superCtor.prototype;
    ctor.prototype = new TempCtor();
    ctor.prototype.constructor = ctor;
  }

  // BN

  function BN (number, base, endian) {
    if (BN.isBN(number)) {
      return number;
    }

    this.negative = 0;
    this.words = null;
    this.length = 0;

    // Reduction context
    this.red = null;

    if (number !== null) {
      if (base === 'le' || base === 'be') {
        endian = base;
        base = 10;
      }

      this._init(number || 0, base || 10, endian || 'be');
    }
  }
  if (typeof module === 'object') {
    module.exports = BN;
  } else {
    exports.BN = BN;
  }

  BN.BN = BN;
  BN.wordSize = 26;

  var Buffer;
  try {
    if (typeof window !== 'undefined' && typeof window.Buffer !== 'undefined') {
      Buffer = window.Buffer;
    } else {
      Buffer = require('buffer').Buffer;
    }
  } catch (e) {
  }

  BN.isBN = function isBN (num) {
    if (num instanceof BN) {
      return true;
    }

    return num !== null && typeof num === 'object' &&
      num.constructor.wordSize === BN.wordSize && Array.isArray(num.words);
  };

  BN.max = function max (left, right) {
    if (left.cmp(right) > 0) return left;
    return right;
  };

  BN.min = function min (left, right) {
    if (left.cmp(right) < 0) return left;
    return right;
  };

  BN.prototype._init = function init (number, base, endian) {
    if (typeof number === 'number') {
      return this._initNumber(number, base, endian);
    }

    if (typeof number === 'object') {
      return this._initArray(number, base, endian);
    }

    if (base === 'hex') {
      base = 16;
    }
    assert(base === (base | 0) && base >= 2 && base <= 36);

    number = number.toString().replace(/\s+/g, '');
    var start = 0;
    if (number[0] === '-') {
      start++;
      this.negative = 1;
    }

    if (start < number.length) {
      if (base === 16) {
        this._parseHex(number, start, endian);
      } else {
        this._parseBase(number, base, start);
        if (endian === 'le') {
          this._initArray(this.toArray(), base, endian);
        }
      }
    }
  };

  BN.prototype._initNumber = function _initNumber (number, base, endian) {
    if (number < 0) {
      this.negative = 1;
      number = -number;
    }
    if (number < 0x4000000) {
      this.words = [ number & 0x3ffffff ];
      this.length = 1;
    } else if (number < 0x10000000000000) {
      this.words = [
        number & 0x3ffffff,
        (number / 0x4000000) & 0x3ffffff
      ];
      this.length = 2;
    } else {
      assert(number < 0x20000000000000); // 2 ^ 53 (unsafe)
      this.words = [
        number & 0x3ffffff,
        (number / 0x4000000) & 0x3ffffff,
        1
      ];
      this.length = 3;
    }

    if (endian !== 'le') return;

    // Reverse the bytes
    this._initArray(this.toArray(), base, endian);
  };

  BN.prototype._initArray = function _initArray (number, base, endian) {
    // Perhaps a Uint8Array
    assert(typeof number.length === 'number');
    if (number.length <= 0) {
      this.words = [ 0 ];
      this.length = 1;
      return this;
    }

    this.length = Math.ceil(number.length / 3);
    this.words = new Array(this.length);
    for (var i = 0; i < this.length; i++) {
      this.words[i] = 0;
    }

    var j, w;
    var off = 0;
    if (endian === 'be') {
      for (i = number.length - 1, j = 0; i >= 0; i -= 3) {
        w = number[i] | (number[i - 1] << 8) | (number[i - 2] << 16);
        this.words[j] |= (w << off) & 0x3ffffff;
        this.words[j + 1] = (w >>> (26 - off)) & 0x3ffffff;
        off += 24;
        if (off >= 26) {
          off -= 26;
          j++;
        }
      }
    } else if (endian === 'le') {
      for (i = 0, j = 0; i < number.length; i += 3) {
        w = number[i] | (number[i + 1] << 8) | (number[i + 2] << 16);
        this.words[j] |= (w << off) & 0x3ffffff;
        this.words[j + 1] = (w >>> (26 - off)) & 0x3ffffff;
        off += 24;
        if (off >= 26) {
          off -= 26;
          j++;
        }
      }
    }
    return this.strip();
  };

  function parseHex4Bits (string, index) {
    var c = string.charCodeAt(index);
    // 'A' - 'F'
    if (c >= 65 && c <= 70) {
      return c - 55;
    // 'a' - 'f'
    } else if (c >= 97 && c <= 102) {
      return c - 87;
    // '0' - '9'
    } else {
      return (c - 48) & 0xf;
    }
  }

  function parseHexByte (string, lowerBound, index) {
    var r = parseHex4Bits(string, index);
    if (index - 1 >= lowerBound) {
      r |= parseHex4Bits(string, index - 1) << 4;
    }
    return r;
  }

  BN.prototype._parseHex = function _parseHex (number, start, endian) {
    // Create possibly bigger array to ensure that it fits the number
    this.length = Math.ceil((number.length - start) / 6);
    this.words = new Array(this.length);
    for (var i = 0; i < this.length; i++) {
      this.words[i] = 0;
    }

    // 24-bits chunks
    var off = 0;
    var j = 0;

    var w;
    if (endian === 'be') {
      for (i = number.length - 1; i >= start; i -= 2) {
        w = parseHexByte(number, start, i) << off;
        this.words[j] |= w & 0x3ffffff;
        if (off >= 18) {
          off -= 18;
          j += 1;
          this.words[j] |= w >>> 26;
        } else {
          off += 8;
        }
      }
    } else {
      var parseLength = number.length - start;
      for (i = parseLength % 2 === 0 ? start + 1 : start; i < number.length; i += 2) {
        w = parseHexByte(number, start, i) << off;
        this.words[j] |= w & 0x3ffffff;
        if (off >= 18) {
          off -= 18;
          j += 1;
          this.words[j] |= w >>> 26;
        } else {
          off += 8;
        }
      }
    }

    this.strip();
  };

  function parseBase (str, start, end, mul) {
    var r = 0;
    var len = Math.min(str.length, end);
    for (var i = start; i < len; i++) {
      var c = str.charCodeAt(i) - 48;

      r *= mul;

      // 'a'
      if (c >= 49) {
        r += c - 49 + 0xa;

      // 'A'
      } else if (c >= 17) {
        r += c - 17 + 0xa;

      // '0' - '9'
      } else {
        r += c;
      }
    }
    return r;
  }

  BN.prototype._parseBase = function _parseBase (number, base, start) {
    // Initialize as zero
    this.words = [ 0 ];
    this.length = 1;

    // Find length of limb in base
    for (var limbLen = 0, limbPow = 1; limbPow <= 0x3ffffff; limbPow *= base) {
      limbLen++;
    }
    limbLen--;
    limbPow = (limbPow / base) | 0;

    var total = number.length - start;
    var mod = total % limbLen;
    var end = Math.min(total, total - mod) + start;

    var word = 0;
    for (var i = start; i < end; i += limbLen) {
      word = parseBase(number, i, i + limbLen, base);

      this.imuln(limbPow);
      if (this.words[0] + word < 0x4000000) {
        this.words[0] += word;
      } else {
        this._iaddn(word);
      }
    }

    if (mod !== 0) {
      var pow = 1;
      word = parseBase(number, i, number.length, base);

      for (i = 0; i < mod; i++) {
        pow *= base;
      }

      this.imuln(pow);
      if (this.words[0] + word < 0x4000000) {
        this.words[0] += word;
      } else {
        this._iaddn(word);
      }
    }

    this.strip();
  };

  BN.prototype.copy = function copy (dest) {
    dest.words = new Array(this.length);
    for (var i = 0; i < this.length; i++) {
      dest.words[i] = this.words[i];
    }
    dest.length = this.length;
    dest.negative = this.negative;
    dest.red = this.red;
  };

  BN.prototype.clone = function clone () {
    var r = new BN(null);
    this.copy(r);
    return r;
  };

  BN.prototype._expand = function _expand (size) {
    while (this.length < size) {
      this.words[this.length++] = 0;
    }
    return this;
  };

  // Remove leading `0` from `this`
  BN.prototype.strip = function strip () {
    while (this.length > 1 && this.words[this.length - 1] === 0) {
      this.length--;
    }
    return this._normSign();
  };

  BN.prototype._normSign = function _normSign () {
    // -0 = 0
    if (this.length === 1 && this.words[0] === 0) {
      this.negative = 0;
    }
    return this;
  };

  BN.prototype.inspect = function inspect () {
    return (this.red ? '<BN-R: ' : '<BN: ') + this.toString(16) + '>';
  };

  /*

  var zeros = [];
  var groupSizes = [];
  var groupBases = [];

  var s = '';
  var i = -1;
  while (++i < BN.wordSize) {
    zeros[i] = s;
    s += '0';
  }
  groupSizes[0] = 0;
  groupSizes[1] = 0;
  groupBases[0] = 0;
  groupBases[1] = 0;
  var base = 2 - 1;
  while (++base < 36 + 1) {
    var groupSize = 0;
    var groupBase = 1;
    while (groupBase < (1 << BN.wordSize) / base) {
      groupBase *= base;
      groupSize += 1;
    }
    groupSizes[base] = groupSize;
    groupBases[base] = groupBase;
  }

  */

  var zeros = [
    '',
    '0',
    '00',
    '000',
    '0000',
    '00000',
    '000000',
    '0000000',
    '00000000',
    '000000000',
    '0000000000',
    '00000000000',
    '000000000000',
    '0000000000000',
    '00000000000000',
    '000000000000000',
    '0000000000000000',
    '00000000000000000',
    '000000000000000000',
    '0000000000000000000',
    '00000000000000000000',
    '000000000000000000000',
    '0000000000000000000000',
    '00000000000000000000000',
    '000000000000000000000000',
    '0000000000000000000000000'
  ];

  var groupSizes = [
    0, 0,
    25, 16, 12, 11, 10, 9, 8,
    8, 7, 7, 7, 7, 6, 6,
    6, 6, 6, 6, 6, 5, 5,
    5, 5, 5, 5, 5, 5, 5,
    5, 5, 5, 5, 5, 5, 5
  ];

  var groupBases = [
    0, 0,
    33554432, 43046721, 16777216, 48828125, 60466176, 40353607, 16777216,
    43046721, 10000000, 19487171, 35831808, 62748517, 7529536, 11390625,
    16777216, 24137569, 34012224, 47045881, 64000000, 4084101, 5153632,
    6436343, 7962624, 9765625, 11881376, 14348907, 17210368, 20511149,
    24300000, 28629151, 33554432, 39135393, 45435424, 52521875, 60466176
  ];

  BN.prototype.toString = function toString (base, padding) {
    base = base || 10;
    padding = padding | 0 || 1;

    var out;
    if (base === 16 || base === 'hex') {
      out = '';
      var off = 0;
      var carry = 0;
      for (var i = 0; i < this.length; i++) {
        var w = this.words[i];
        var word = (((w << off) | carry) & 0xffffff).toString(16);
        carry = (w >>> (24 - off)) & 0xffffff;
        off += 2;
        if (off >= 26) {
          off -= 26;
          i--;
        }
        if (carry !== 0 || i !== this.length - 1) {
          out = zeros[6 - word.length] + word + out;
        } else {
          out = word + out;
        }
      }
      if (carry !== 0) {
        out = carry.toString(16) + out;
      }
      while (out.length % padding !== 0) {
        out = '0' + out;
      }
      if (this.negative !== 0) {
        out = '-' + out;
      }
      return out;
    }

    if (base === (base | 0) && base >= 2 && base <= 36) {
      // var groupSize = Math.floor(BN.wordSize * Math.LN2 / Math.log(base));
      var groupSize = groupSizes[base];
      // var groupBase = Math.pow(base, groupSize);
      var groupBase = groupBases[base];
      out = '';
      var c = this.clone();
      c.negative = 0;
      while (!c.isZero()) {
        var r = c.modn(groupBase).toString(base);
        c = c.idivn(groupBase);

        if (!c.isZero()) {
          out = zeros[groupSize - r.length] + r + out;
        } else {
          out = r + out;
        }
      }
      if (this.isZero()) {
        out = '0' + out;
      }
      while (out.length % padding !== 0) {
        out = '0' + out;
      }
      if (this.negative !== 0) {
        out = '-' + out;
      }
      return out;
    }

    assert(false, 'Base should be between 2 and 36');
  };

  BN.prototype.toNumber = function toNumber () {
    var ret = this.words[0];
    if (this.length === 2) {
      ret += this.words[1] * 0x4000000;
    } else if (this.length === 3 && this.words[2] === 0x01) {
      // NOTE: at this stage it is known that the top bit is set
      ret += 0x10000000000000 + (this.words[1] * 0x4000000);
    } else if (this.length > 2) {
      assert(false, 'Number can only safely store up to 53 bits');
    }
    return (this.negative !== 0) ? -ret : ret;
  };

  BN.prototype.toJSON = function toJSON () {
    return this.toString(16);
  };

  BN.prototype.toBuffer = function toBuffer (endian, length) {
    assert(typeof Buffer !== 'undefined');
    return this.toArrayLike(Buffer, endian, length);
  };

  BN.prototype.toArray = function toArray (endian, length) {
    return this.toArrayLike(Array, endian, length);
  };

  BN.prototype.toArrayLike = function toArrayLike (ArrayType, endian, length) {
    var byteLength = this.byteLength();
    var reqLength = length || Math.max(1, byteLength);
    assert(byteLength <= reqLength, 'byte array longer than desired length');
    assert(reqLength > 0, 'Requested array length <= 0');

    this.strip();
    var littleEndian = endian === 'le';
    var res = new ArrayType(reqLength);

    var b, i;
    var q = this.clone();
    if (!littleEndian) {
      // Assume big-endian
      for (i = 0; i < reqLength - byteLength; i++) {
        res[i] = 0;
      }

      for (i = 0; !q.isZero(); i++) {
        b = q.andln(0xff);
        q.iushrn(8);

        res[reqLength - i - 1] = b;
      }
    } else {
      for (i = 0; !q.isZero(); i++) {
        b = q.andln(0xff);
        q.iushrn(8);

        res[i] = b;
      }

      for (; i < reqLength; i++) {
        res[i] = 0;
      }
    }

    return res;
  };

  if (Math.clz32) {
    BN.prototype._countBits = function _countBits (w) {
      return 32 - Math.clz32(w);
    };
  } else {
    BN.prototype._countBits = function _countBits (w) {
      var t = w;
      var r = 0;
      if (t >= 0x1000) {
        r += 13;
        t >>>= 13;
      }
      if (t >= 0x40) {
        r += 7;
        t >>>= 7;
      }
      if (t >= 0x8) {
        r += 4;
        t >>>= 4;
      }
      if (t >= 0x02) {
        r += 2;
        t >>>= 2;
      }
      return r + t;
    };
  }

  BN.prototype._zeroBits = function _zeroBits (w) {
    // Short-cut
    if (w === 0) return 26;

    var t = w;
    var r = 0;
    if ((t & 0x1fff) === 0) {
      r += 13;
      t >>>= 13;
    }
    if ((t & 0x7f) === 0) {
      r += 7;
      t >>>= 7;
    }
    if ((t & 0xf) === 0) {
      r += 4;
      t >>>= 4;
    }
    if ((t & 0x3) === 0) {
      r += 2;
      t >>>= 2;
    }
    if ((t & 0x1) === 0) {
      r++;
    }
    return r;
  };

  // Return number of used bits in a BN
  BN.prototype.bitLength = function bitLength () {
    var w = this.words[this.length - 1];
    var hi = this._countBits(w);
    return (this.length - 1) * 26 + hi;
  };

  function toBitArray (num) {
    var w = new Array(num.bitLength());

    for (var bit = 0; bit < w.length; bit++) {
      var off = (bit / 26) | 0;
      var wbit = bit % 26;

      w[bit] = (num.words[off] & (1 << wbit)) >>> wbit;
    }

    return w;
  }

  // Number of trailing zero bits
  BN.prototype.zeroBits = function zeroBits () {
    if (this.isZero()) return 0;

    var r = 0;
    for (var i = 0; i < this.length; i++) {
      var b = this._zeroBits(this.words[i]);
      r += b;
      if (b !== 26) break;
    }
    return r;
  };

  BN.prototype.byteLength = function byteLength () {
    return Math.ceil(this.bitLength() / 8);
  };

  BN.prototype.toTwos = function toTwos (width) {
    if (this.negative !== 0) {
      return this.abs().inotn(width).iaddn(1);
    }
    return this.clone();
  };

  BN.prototype.fromTwos = function fromTwos (width) {
    if (this.testn(width - 1)) {
      return this.notn(width).iaddn(1).ineg();
    }
    return this.clone();
  };

  BN.prototype.isNeg = function isNeg () {
    return this.negative !== 0;
  };

  // Return negative clone of `this`
  BN.prototype.neg = function neg () {
    return this.clone().ineg();
  };

  BN.prototype.ineg = function ineg () {
    if (!this.isZero()) {
      this.negative ^= 1;
    }

    return this;
  };

  // Or `num` with `this` in-place
  BN.prototype.iuor = function iuor (num) {
    while (this.length < num.length) {
      this.words[this.length++] = 0;
    }

    for (var i = 0; i < num.length; i++) {
      this.words[i] = this.words[i] | num.words[i];
    }

    return this.strip();
  };

  BN.prototype.ior = function ior (num) {
    assert((this.negative | num.negative) === 0);
    return this.iuor(num);
  };

  // Or `num` with `this`
  BN.prototype.or = function or (num) {
    if (this.length > num.length) return this.clone().ior(num);
    return num.clone().ior(this);
  };

  BN.prototype.uor = function uor (num) {
    if (this.length > num.length) return this.clone().iuor(num);
    return num.clone().iuor(this);
  };

  // And `num` with `this` in-place
  BN.prototype.iuand = function iuand (num) {
    // b = min-length(num, this)
    var b;
    if (this.length > num.length) {
      b = num;
    } else {
      b = this;
    }

    for (var i = 0; i < b.length; i++) {
      this.words[i] = this.words[i] & num.words[i];
    }

    this.length = b.length;

    return this.strip();
  };

  BN.prototype.iand = function iand (num) {
    assert((this.negative | num.negative) === 0);
    return this.iuand(num);
  };

  // And `num` with `this`
  BN.prototype.and = function and (num) {
    if (this.length > num.length) return this.clone().iand(num);
    return num.clone().iand(this);
  };

  BN.prototype.uand = function uand (num) {
    if (this.length > num.length) return this.clone().iuand(num);
    return num.clone().iuand(this);
  };

  // Xor `num` with `this` in-place
  BN.prototype.iuxor = function iuxor (num) {
    // a.length > b.length
    var a;
    var b;
    if (this.length > num.length) {
      a = this;
      b = num;
    } else {
      a = num;
      b = this;
    }

    for (var i = 0; i < b.length; i++) {
      this.words[i] = a.words[i] ^ b.words[i];
    }

    if (this !== a) {
      for (; i < a.length; i++) {
        this.words[i] = a.words[i];
      }
    }

    this.length = a.length;

    return this.strip();
  };

  BN.prototype.ixor = function ixor (num) {
    assert((this.negative | num.negative) === 0);
    return this.iuxor(num);
  };

  // Xor `num` with `this`
  BN.prototype.xor = function xor (num) {
    if (this.length > num.length) return this.clone().ixor(num);
    return num.clone().ixor(this);
  };

  BN.prototype.uxor = function uxor (num) {
    if (this.length > num.length) return this.clone().iuxor(num);
    return num.clone().iuxor(this);
  };

  // Not ``this`` with ``width`` bitwidth
  BN.prototype.inotn = function inotn (width) {
    assert(typeof width === 'number' && width >= 0);

    var bytesNeeded = Math.ceil(width / 26) | 0;
    var bitsLeft = width % 26;

    // Extend the buffer with leading zeroes
    this._expand(bytesNeeded);

    if (bitsLeft > 0) {
      bytesNeeded--;
    }

    // Handle complete words
    for (var i = 0; i < bytesNeeded; i++) {
      this.words[i] = ~this.words[i] & 0x3ffffff;
    }

    // Handle the residue
    if (bitsLeft > 0) {
      this.words[i] = ~this.words[i] & (0x3ffffff >> (26 - bitsLeft));
      i++;
    }

    // Clear words above the requested width so the result stays below 2 ** width
    for (; i < this.length; i++) {
      this.words[i] = 0;
    }

    // And remove leading zeroes
    return this.strip();
  };

  BN.prototype.notn = function notn (width) {
    return this.clone().inotn(width);
  };

  // Set `bit` of `this`
  BN.prototype.setn = function setn (bit, val) {
    assert(typeof bit === 'number' && bit >= 0);

    var off = (bit / 26) | 0;
    var wbit = bit % 26;

    this._expand(off + 1);

    if (val) {
      this.words[off] = this.words[off] | (1 << wbit);
    } else {
      this.words[off] = this.words[off] & ~(1 << wbit);
    }

    return this.strip();
  };

  // Add `num` to `this` in-place
  BN.prototype.iadd = function iadd (num) {
    var r;

    // negative + positive
    if (this.negative !== 0 && num.negative === 0) {
      this.negative = 0;
      r = this.isub(num);
      this.negative ^= 1;
      return this._normSign();

    // positive + negative
    } else if (this.negative === 0 && num.negative !== 0) {
      num.negative = 0;
      r = this.isub(num);
      num.negative = 1;
      return r._normSign();
    }

    // a.length > b.length
    var a, b;
    if (this.length > num.length) {
      a = this;
      b = num;
    } else {
      a = num;
      b = this;
    }

    var carry = 0;
    for (var i = 0; i < b.length; i++) {
      r = (a.words[i] | 0) + (b.words[i] | 0) + carry;
      this.words[i] = r & 0x3ffffff;
      carry = r >>> 26;
    }
    for (; carry !== 0 && i < a.length; i++) {
      r = (a.words[i] | 0) + carry;
      this.words[i] = r & 0x3ffffff;
      carry = r >>> 26;
    }

    this.length = a.length;
    if (carry !== 0) {
      this.words[this.length] = carry;
      this.length++;
    // Copy the rest of the words
    } else if (a !== this) {
      for (; i < a.length; i++) {
        this.words[i] = a.words[i];
      }
    }

    return this;
  };

  // Add `num` to `this`
  BN.prototype.add = function add (num) {
    var res;
    if (num.negative !== 0 && this.negative === 0) {
      num.negative = 0;
      res = this.sub(num);
      num.negative ^= 1;
      return res;
    } else if (num.negative === 0 && this.negative !== 0) {
      this.negative = 0;
      res = num.sub(this);
      this.negative = 1;
      return res;
    }

    if (this.length > num.length) return this.clone().iadd(num);

    return num.clone().iadd(this);
  };

  // Subtract `num` from `this` in-place
  BN.prototype.isub = function isub (num) {
    // this - (-num) = this + num
    if (num.negative !== 0) {
      num.negative = 0;
      var r = this.iadd(num);
      num.negative = 1;
      return r._normSign();

    // -this - num = -(this + num)
    } else if (this.negative !== 0) {
      this.negative = 0;
      this.iadd(num);
      this.negative = 1;
      return this._normSign();
    }

    // At this point both numbers are positive
    var cmp = this.cmp(num);

    // Optimization - zeroify
    if (cmp === 0) {
      this.negative = 0;
      this.length = 1;
      this.words[0] = 0;
      return this;
    }

    // a > b
    var a, b;
    if (cmp > 0) {
      a = this;
      b = num;
    } else {
      a = num;
      b = this;
    }

    var carry = 0;
    for (var i = 0; i < b.length; i++) {
      r = (a.words[i] | 0) - (b.words[i] | 0) + carry;
      carry = r >> 26;
      this.words[i] = r & 0x3ffffff;
    }
    for (; carry !== 0 && i < a.length; i++) {
      r = (a.words[i] | 0) + carry;
      carry = r >> 26;
      this.words[i] = r & 0x3ffffff;
    }

    // Copy rest of the words
    if (carry === 0 && i < a.length && a !== this) {
      for (; i < a.length; i++) {
        this.words[i] = a.words[i];
      }
    }

    this.length = Math.max(this.length, i);

    if (a !== this) {
      this.negative = 1;
    }

    return this.strip();
  };

  // Subtract `num` from `this`
  BN.prototype.sub = function sub (num) {
    return this.clone().isub(num);
  };

  function smallMulTo (self, num, out) {
    out.negative = num.negative ^ self.negative;
    var len = (self.length + num.length) | 0;
    out.length = len;
    len = (len - 1) | 0;

    // Peel one iteration (compiler can't do it, because of code complexity)
    var a = self.words[0] | 0;
    var b = num.words[0] | 0;
    var r = a * b;

    var lo = r & 0x3ffffff;
    var carry = (r / 0x4000000) | 0;
    out.words[0] = lo;

    for (var k = 1; k < len; k++) {
      // Sum all words with the same `i + j = k` and accumulate `ncarry`,
      // note that ncarry could be >= 0x3ffffff
      var ncarry = carry >>> 26;
      var rword = carry & 0x3ffffff;
      var maxJ = Math.min(k, num.length - 1);
      for (var j = Math.max(0, k - self.length + 1); j <= maxJ; j++) {
        var i = (k - j) | 0;
        a = self.words[i] | 0;
        b = num.words[j] | 0;
        r = a * b + rword;
        ncarry += (r / 0x4000000) | 0;
        rword = r & 0x3ffffff;
      }
      out.words[k] = rword | 0;
      carry = ncarry | 0;
    }
    if (carry !== 0) {
      out.words[k] = carry | 0;
    } else {
      out.length--;
    }

    return out.strip();
  }

  // TODO(indutny): it may be reasonable to omit it for users who don't need
  // to work with 256-bit numbers, otherwise it gives 20% improvement for 256-bit
  // multiplication (like elliptic secp256k1).
  var comb10MulTo = function comb10MulTo (self, num, out) {
    var a = self.words;
    var b = num.words;
    var o = out.words;
    var c = 0;
    var lo;
    var mid;
    var hi;
    var a0 = a[0] | 0;
    var al0 = a0 & 0x1fff;
    var ah0 = a0 >>> 13;
    var a1 = a[1] | 0;
    var al1 = a1 & 0x1fff;
    var ah1 = a1 >>> 13;
    var a2 = a[2] | 0;
    var al2 = a2 & 0x1fff;
    var ah2 = a2 >>> 13;
    var a3 = a[3] | 0;
    var al3 = a3 & 0x1fff;
    var ah3 = a3 >>> 13;
    var a4 = a[4] | 0;
    var al4 = a4 & 0x1fff;
    var ah4 = a4 >>> 13;
    var a5 = a[5] | 0;
    var al5 = a5 & 0x1fff;
    var ah5 = a5 >>> 13;
    var a6 = a[6] | 0;
    var al6 = a6 & 0x1fff;
    var ah6 = a6 >>> 13;
    var a7 = a[7] | 0;
    var al7 = a7 & 0x1fff;
    var ah7 = a7 >>> 13;
    var a8 = a[8] | 0;
    var al8 = a8 & 0x1fff;
    var ah8 = a8 >>> 13;
    var a9 = a[9] | 0;
    var al9 = a9 & 0x1fff;
    var ah9 = a9 >>> 13;
    var b0 = b[0] | 0;
    var bl0 = b0 & 0x1fff;
    var bh0 = b0 >>> 13;
    var b1 = b[1] | 0;
    var bl1 = b1 & 0x1fff;
    var bh1 = b1 >>> 13;
    var b2 = b[2] | 0;
    var bl2 = b2 & 0x1fff;
    var bh2 = b2 >>> 13;
    var b3 = b[3] | 0;
    var bl3 = b3 & 0x1fff;
    var bh3 = b3 >>> 13;
    var b4 = b[4] | 0;
    var bl4 = b4 & 0x1fff;
    var bh4 = b4 >>> 13;
    var b5 = b[5] | 0;
    var bl5 = b5 & 0x1fff;
    var bh5 = b5 >>> 13;
    var b6 = b[6] | 0;
    var bl6 = b6 & 0x1fff;
    var bh6 = b6 >>> 13;
    var b7 = b[7] | 0;
    var bl7 = b7 & 0x1fff;
    var bh7 = b7 >>> 13;
    var b8 = b[8] | 0;
    var bl8 = b8 & 0x1fff;
    var bh8 = b8 >>> 13;
    var b9 = b[9] | 0;
    var bl9 = b9 & 0x1fff;
    var bh9 = b9 >>> 13;

    out.negative = self.negative ^ num.negative;
    out.length = 19;
    /* k = 0 */
    lo = Math.imul(al0, bl0);
    mid = Math.imul(al0, bh0);
    mid = (mid + Math.imul(ah0, bl0)) | 0;
    hi = Math.imul(ah0, bh0);
    var w0 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w0 >>> 26)) | 0;
    w0 &= 0x3ffffff;
    /* k = 1 */
    lo = Math.imul(al1, bl0);
    mid = Math.imul(al1, bh0);
    mid = (mid + Math.imul(ah1, bl0)) | 0;
    hi = Math.imul(ah1, bh0);
    lo = (lo + Math.imul(al0, bl1)) | 0;
    mid = (mid + Math.imul(al0, bh1)) | 0;
    mid = (mid + Math.imul(ah0, bl1)) | 0;
    hi = (hi + Math.imul(ah0, bh1)) | 0;
    var w1 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w1 >>> 26)) | 0;
    w1 &= 0x3ffffff;
    /* k = 2 */
    lo = Math.imul(al2, bl0);
    mid = Math.imul(al2, bh0);
    mid = (mid + Math.imul(ah2, bl0)) | 0;
    hi = Math.imul(ah2, bh0);
    lo = (lo + Math.imul(al1, bl1)) | 0;
    mid = (mid + Math.imul(al1, bh1)) | 0;
    mid = (mid + Math.imul(ah1, bl1)) | 0;
    hi = (hi + Math.imul(ah1, bh1)) | 0;
    lo = (lo + Math.imul(al0, bl2)) | 0;
    mid = (mid + Math.imul(al0, bh2)) | 0;
    mid = (mid + Math.imul(ah0, bl2)) | 0;
    hi = (hi + Math.imul(ah0, bh2)) | 0;
    var w2 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w2 >>> 26)) | 0;
    w2 &= 0x3ffffff;
    /* k = 3 */
    lo = Math.imul(al3, bl0);
    mid = Math.imul(al3, bh0);
    mid = (mid + Math.imul(ah3, bl0)) | 0;
    hi = Math.imul(ah3, bh0);
    lo = (lo + Math.imul(al2, bl1)) | 0;
    mid = (mid + Math.imul(al2, bh1)) | 0;
    mid = (mid + Math.imul(ah2, bl1)) | 0;
    hi = (hi + Math.imul(ah2, bh1)) | 0;
    lo = (lo + Math.imul(al1, bl2)) | 0;
    mid = (mid + Math.imul(al1, bh2)) | 0;
    mid = (mid + Math.imul(ah1, bl2)) | 0;
    hi = (hi + Math.imul(ah1, bh2)) | 0;
    lo = (lo + Math.imul(al0, bl3)) | 0;
    mid = (mid + Math.imul(al0, bh3)) | 0;
    mid = (mid + Math.imul(ah0, bl3)) | 0;
    hi = (hi + Math.imul(ah0, bh3)) | 0;
    var w3 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w3 >>> 26)) | 0;
    w3 &= 0x3ffffff;
    /* k = 4 */
    lo = Math.imul(al4, bl0);
    mid = Math.imul(al4, bh0);
    mid = (mid + Math.imul(ah4, bl0)) | 0;
    hi = Math.imul(ah4, bh0);
    lo = (lo + Math.imul(al3, bl1)) | 0;
    mid = (mid + Math.imul(al3, bh1)) | 0;
    mid = (mid + Math.imul(ah3, bl1)) | 0;
    hi = (hi + Math.imul(ah3, bh1)) | 0;
    lo = (lo + Math.imul(al2, bl2)) | 0;
    mid = (mid + Math.imul(al2, bh2)) | 0;
    mid = (mid + Math.imul(ah2, bl2)) | 0;
    hi = (hi + Math.imul(ah2, bh2)) | 0;
    lo = (lo + Math.imul(al1, bl3)) | 0;
    mid = (mid + Math.imul(al1, bh3)) | 0;
    mid = (mid + Math.imul(ah1, bl3)) | 0;
    hi = (hi + Math.imul(ah1, bh3)) | 0;
    lo = (lo + Math.imul(al0, bl4)) | 0;
    mid = (mid + Math.imul(al0, bh4)) | 0;
    mid = (mid + Math.imul(ah0, bl4)) | 0;
    hi = (hi + Math.imul(ah0, bh4)) | 0;
    var w4 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w4 >>> 26)) | 0;
    w4 &= 0x3ffffff;
    /* k = 5 */
    lo = Math.imul(al5, bl0);
    mid = Math.imul(al5, bh0);
    mid = (mid + Math.imul(ah5, bl0)) | 0;
    hi = Math.imul(ah5, bh0);
    lo = (lo + Math.imul(al4, bl1)) | 0;
    mid = (mid + Math.imul(al4, bh1)) | 0;
    mid = (mid + Math.imul(ah4, bl1)) | 0;
    hi = (hi + Math.imul(ah4, bh1)) | 0;
    lo = (lo + Math.imul(al3, bl2)) | 0;
    mid = (mid + Math.imul(al3, bh2)) | 0;
    mid = (mid + Math.imul(ah3, bl2)) | 0;
    hi = (hi + Math.imul(ah3, bh2)) | 0;
    lo = (lo + Math.imul(al2, bl3)) | 0;
    mid = (mid + Math.imul(al2, bh3)) | 0;
    mid = (mid + Math.imul(ah2, bl3)) | 0;
    hi = (hi + Math.imul(ah2, bh3)) | 0;
    lo = (lo + Math.imul(al1, bl4)) | 0;
    mid = (mid + Math.imul(al1, bh4)) | 0;
    mid = (mid + Math.imul(ah1, bl4)) | 0;
    hi = (hi + Math.imul(ah1, bh4)) | 0;
    lo = (lo + Math.imul(al0, bl5)) | 0;
    mid = (mid + Math.imul(al0, bh5)) | 0;
    mid = (mid + Math.imul(ah0, bl5)) | 0;
    hi = (hi + Math.imul(ah0, bh5)) | 0;
    var w5 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w5 >>> 26)) | 0;
    w5 &= 0x3ffffff;
    /* k = 6 */
    lo = Math.imul(al6, bl0);
    mid = Math.imul(al6, bh0);
    mid = (mid + Math.imul(ah6, bl0)) | 0;
    hi = Math.imul(ah6, bh0);
    lo = (lo + Math.imul(al5, bl1)) | 0;
    mid = (mid + Math.imul(al5, bh1)) | 0;
    mid = (mid + Math.imul(ah5, bl1)) | 0;
    hi = (hi + Math.imul(ah5, bh1)) | 0;
    lo = (lo + Math.imul(al4, bl2)) | 0;
    mid = (mid + Math.imul(al4, bh2)) | 0;
    mid = (mid + Math.imul(ah4, bl2)) | 0;
    hi = (hi + Math.imul(ah4, bh2)) | 0;
    lo = (lo + Math.imul(al3, bl3)) | 0;
    mid = (mid + Math.imul(al3, bh3)) | 0;
    mid = (mid + Math.imul(ah3, bl3)) | 0;
    hi = (hi + Math.imul(ah3, bh3)) | 0;
    lo = (lo + Math.imul(al2, bl4)) | 0;
    mid = (mid + Math.imul(al2, bh4)) | 0;
    mid = (mid + Math.imul(ah2, bl4)) | 0;
    hi = (hi + Math.imul(ah2, bh4)) | 0;
    lo = (lo + Math.imul(al1, bl5)) | 0;
    mid = (mid + Math.imul(al1, bh5)) | 0;
    mid = (mid + Math.imul(ah1, bl5)) | 0;
    hi = (hi + Math.imul(ah1, bh5)) | 0;
    lo = (lo + Math.imul(al0, bl6)) | 0;
    mid = (mid + Math.imul(al0, bh6)) | 0;
    mid = (mid + Math.imul(ah0, bl6)) | 0;
    hi = (hi + Math.imul(ah0, bh6)) | 0;
    var w6 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w6 >>> 26)) | 0;
    w6 &= 0x3ffffff;
    /* k = 7 */
    lo = Math.imul(al7, bl0);
    mid = Math.imul(al7, bh0);
    mid = (mid + Math.imul(ah7, bl0)) | 0;
    hi = Math.imul(ah7, bh0);
    lo = (lo + Math.imul(al6, bl1)) | 0;
    mid = (mid + Math.imul(al6, bh1)) | 0;
    mid = (mid + Math.imul(ah6, bl1)) | 0;
    hi = (hi + Math.imul(ah6, bh1)) | 0;
    lo = (lo + Math.imul(al5, bl2)) | 0;
    mid = (mid + Math.imul(al5, bh2)) | 0;
    mid = (mid + Math.imul(ah5, bl2)) | 0;
    hi = (hi + Math.imul(ah5, bh2)) | 0;
    lo = (lo + Math.imul(al4, bl3)) | 0;
    mid = (mid + Math.imul(al4, bh3)) | 0;
    mid = (mid + Math.imul(ah4, bl3)) | 0;
    hi = (hi + Math.imul(ah4, bh3)) | 0;
    lo = (lo + Math.imul(al3, bl4)) | 0;
    mid = (mid + Math.imul(al3, bh4)) | 0;
    mid = (mid + Math.imul(ah3, bl4)) | 0;
    hi = (hi + Math.imul(ah3, bh4)) | 0;
    lo = (lo + Math.imul(al2, bl5)) | 0;
    mid = (mid + Math.imul(al2, bh5)) | 0;
    mid = (mid + Math.imul(ah2, bl5)) | 0;
    hi = (hi + Math.imul(ah2, bh5)) | 0;
    lo = (lo + Math.imul(al1, bl6)) | 0;
    mid = (mid + Math.imul(al1, bh6)) | 0;
    mid = (mid + Math.imul(ah1, bl6)) | 0;
    hi = (hi + Math.imul(ah1, bh6)) | 0;
    lo = (lo + Math.imul(al0, bl7)) | 0;
    mid = (mid + Math.imul(al0, bh7)) | 0;
    mid = (mid + Math.imul(ah0, bl7)) | 0;
    hi = (hi + Math.imul(ah0, bh7)) | 0;
    var w7 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w7 >>> 26)) | 0;
    w7 &= 0x3ffffff;
    /* k = 8 */
    lo = Math.imul(al8, bl0);
    mid = Math.imul(al8, bh0);
    mid = (mid + Math.imul(ah8, bl0)) | 0;
    hi = Math.imul(ah8, bh0);
    lo = (lo + Math.imul(al7, bl1)) | 0;
    mid = (mid + Math.imul(al7, bh1)) | 0;
    mid = (mid + Math.imul(ah7, bl1)) | 0;
    hi = (hi + Math.imul(ah7, bh1)) | 0;
    lo = (lo + Math.imul(al6, bl2)) | 0;
    mid = (mid + Math.imul(al6, bh2)) | 0;
    mid = (mid + Math.imul(ah6, bl2)) | 0;
    hi = (hi + Math.imul(ah6, bh2)) | 0;
    lo = (lo + Math.imul(al5, bl3)) | 0;
    mid = (mid + Math.imul(al5, bh3)) | 0;
    mid = (mid + Math.imul(ah5, bl3)) | 0;
    hi = (hi + Math.imul(ah5, bh3)) | 0;
    lo = (lo + Math.imul(al4, bl4)) | 0;
    mid = (mid + Math.imul(al4, bh4)) | 0;
    mid = (mid + Math.imul(ah4, bl4)) | 0;
    hi = (hi + Math.imul(ah4, bh4)) | 0;
    lo = (lo + Math.imul(al3, bl5)) | 0;
    mid = (mid + Math.imul(al3, bh5)) | 0;
    mid = (mid + Math.imul(ah3, bl5)) | 0;
    hi = (hi + Math.imul(ah3, bh5)) | 0;
    lo = (lo + Math.imul(al2, bl6)) | 0;
    mid = (mid + Math.imul(al2, bh6)) | 0;
    mid = (mid + Math.imul(ah2, bl6)) | 0;
    hi = (hi + Math.imul(ah2, bh6)) | 0;
    lo = (lo + Math.imul(al1, bl7)) | 0;
    mid = (mid + Math.imul(al1, bh7)) | 0;
    mid = (mid + Math.imul(ah1, bl7)) | 0;
    hi = (hi + Math.imul(ah1, bh7)) | 0;
    lo = (lo + Math.imul(al0, bl8)) | 0;
    mid = (mid + Math.imul(al0, bh8)) | 0;
    mid = (mid + Math.imul(ah0, bl8)) | 0;
    hi = (hi + Math.imul(ah0, bh8)) | 0;
    var w8 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w8 >>> 26)) | 0;
    w8 &= 0x3ffffff;
    /* k = 9 */
    lo = Math.imul(al9, bl0);
    mid = Math.imul(al9, bh0);
    mid = (mid + Math.imul(ah9, bl0)) | 0;
    hi = Math.imul(ah9, bh0);
    lo = (lo + Math.imul(al8, bl1)) | 0;
    mid = (mid + Math.imul(al8, bh1)) | 0;
    mid = (mid + Math.imul(ah8, bl1)) | 0;
    hi = (hi + Math.imul(ah8, bh1)) | 0;
    lo = (lo + Math.imul(al7, bl2)) | 0;
    mid = (mid + Math.imul(al7, bh2)) | 0;
    mid = (mid + Math.imul(ah7, bl2)) | 0;
    hi = (hi + Math.imul(ah7, bh2)) | 0;
    lo = (lo + Math.imul(al6, bl3)) | 0;
    mid = (mid + Math.imul(al6, bh3)) | 0;
    mid = (mid + Math.imul(ah6, bl3)) | 0;
    hi = (hi + Math.imul(ah6, bh3)) | 0;
    lo = (lo + Math.imul(al5, bl4)) | 0;
    mid = (mid + Math.imul(al5, bh4)) | 0;
    mid = (mid + Math.imul(ah5, bl4)) | 0;
    hi = (hi + Math.imul(ah5, bh4)) | 0;
    lo = (lo + Math.imul(al4, bl5)) | 0;
    mid = (mid + Math.imul(al4, bh5)) | 0;
    mid = (mid + Math.imul(ah4, bl5)) | 0;
    hi = (hi + Math.imul(ah4, bh5)) | 0;
    lo = (lo + Math.imul(al3, bl6)) | 0;
    mid = (mid + Math.imul(al3, bh6)) | 0;
    mid = (mid + Math.imul(ah3, bl6)) | 0;
    hi = (hi + Math.imul(ah3, bh6)) | 0;
    lo = (lo + Math.imul(al2, bl7)) | 0;
    mid = (mid + Math.imul(al2, bh7)) | 0;
    mid = (mid + Math.imul(ah2, bl7)) | 0;
    hi = (hi + Math.imul(ah2, bh7)) | 0;
    lo = (lo + Math.imul(al1, bl8)) | 0;
    mid = (mid + Math.imul(al1, bh8)) | 0;
    mid = (mid + Math.imul(ah1, bl8)) | 0;
    hi = (hi + Math.imul(ah1, bh8)) | 0;
    lo = (lo + Math.imul(al0, bl9)) | 0;
    mid = (mid + Math.imul(al0, bh9)) | 0;
    mid = (mid + Math.imul(ah0, bl9)) | 0;
    hi = (hi + Math.imul(ah0, bh9)) | 0;
    var w9 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w9 >>> 26)) | 0;
    w9 &= 0x3ffffff;
    /* k = 10 */
    lo = Math.imul(al9, bl1);
    mid = Math.imul(al9, bh1);
    mid = (mid + Math.imul(ah9, bl1)) | 0;
    hi = Math.imul(ah9, bh1);
    lo = (lo + Math.imul(al8, bl2)) | 0;
    mid = (mid + Math.imul(al8, bh2)) | 0;
    mid = (mid + Math.imul(ah8, bl2)) | 0;
    hi = (hi + Math.imul(ah8, bh2)) | 0;
    lo = (lo + Math.imul(al7, bl3)) | 0;
    mid = (mid + Math.imul(al7, bh3)) | 0;
    mid = (mid + Math.imul(ah7, bl3)) | 0;
    hi = (hi + Math.imul(ah7, bh3)) | 0;
    lo = (lo + Math.imul(al6, bl4)) | 0;
    mid = (mid + Math.imul(al6, bh4)) | 0;
    mid = (mid + Math.imul(ah6, bl4)) | 0;
    hi = (hi + Math.imul(ah6, bh4)) | 0;
    lo = (lo + Math.imul(al5, bl5)) | 0;
    mid = (mid + Math.imul(al5, bh5)) | 0;
    mid = (mid + Math.imul(ah5, bl5)) | 0;
    hi = (hi + Math.imul(ah5, bh5)) | 0;
    lo = (lo + Math.imul(al4, bl6)) | 0;
    mid = (mid + Math.imul(al4, bh6)) | 0;
    mid = (mid + Math.imul(ah4, bl6)) | 0;
    hi = (hi + Math.imul(ah4, bh6)) | 0;
    lo = (lo + Math.imul(al3, bl7)) | 0;
    mid = (mid + Math.imul(al3, bh7)) | 0;
    mid = (mid + Math.imul(ah3, bl7)) | 0;
    hi = (hi + Math.imul(ah3, bh7)) | 0;
    lo = (lo + Math.imul(al2, bl8)) | 0;
    mid = (mid + Math.imul(al2, bh8)) | 0;
    mid = (mid + Math.imul(ah2, bl8)) | 0;
    hi = (hi + Math.imul(ah2, bh8)) | 0;
    lo = (lo + Math.imul(al1, bl9)) | 0;
    mid = (mid + Math.imul(al1, bh9)) | 0;
    mid = (mid + Math.imul(ah1, bl9)) | 0;
    hi = (hi + Math.imul(ah1, bh9)) | 0;
    var w10 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w10 >>> 26)) | 0;
    w10 &= 0x3ffffff;
    /* k = 11 */
    lo = Math.imul(al9, bl2);
    mid = Math.imul(al9, bh2);
    mid = (mid + Math.imul(ah9, bl2)) | 0;
    hi = Math.imul(ah9, bh2);
    lo = (lo + Math.imul(al8, bl3)) | 0;
    mid = (mid + Math.imul(al8, bh3)) | 0;
    mid = (mid + Math.imul(ah8, bl3)) | 0;
    hi = (hi + Math.imul(ah8, bh3)) | 0;
    lo = (lo + Math.imul(al7, bl4)) | 0;
    mid = (mid + Math.imul(al7, bh4)) | 0;
    mid = (mid + Math.imul(ah7, bl4)) | 0;
    hi = (hi + Math.imul(ah7, bh4)) | 0;
    lo = (lo + Math.imul(al6, bl5)) | 0;
    mid = (mid + Math.imul(al6, bh5)) | 0;
    mid = (mid + Math.imul(ah6, bl5)) | 0;
    hi = (hi + Math.imul(ah6, bh5)) | 0;
    lo = (lo + Math.imul(al5, bl6)) | 0;
    mid = (mid + Math.imul(al5, bh6)) | 0;
    mid = (mid + Math.imul(ah5, bl6)) | 0;
    hi = (hi + Math.imul(ah5, bh6)) | 0;
    lo = (lo + Math.imul(al4, bl7)) | 0;
    mid = (mid + Math.imul(al4, bh7)) | 0;
    mid = (mid + Math.imul(ah4, bl7)) | 0;
    hi = (hi + Math.imul(ah4, bh7)) | 0;
    lo = (lo + Math.imul(al3, bl8)) | 0;
    mid = (mid + Math.imul(al3, bh8)) | 0;
    mid = (mid + Math.imul(ah3, bl8)) | 0;
    hi = (hi + Math.imul(ah3, bh8)) | 0;
    lo = (lo + Math.imul(al2, bl9)) | 0;
    mid = (mid + Math.imul(al2, bh9)) | 0;
    mid = (mid + Math.imul(ah2, bl9)) | 0;
    hi = (hi + Math.imul(ah2, bh9)) | 0;
    var w11 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w11 >>> 26)) | 0;
    w11 &= 0x3ffffff;
    /* k = 12 */
    lo = Math.imul(al9, bl3);
    mid = Math.imul(al9, bh3);
    mid = (mid + Math.imul(ah9, bl3)) | 0;
    hi = Math.imul(ah9, bh3);
    lo = (lo + Math.imul(al8, bl4)) | 0;
    mid = (mid + Math.imul(al8, bh4)) | 0;
    mid = (mid + Math.imul(ah8, bl4)) | 0;
    hi = (hi + Math.imul(ah8, bh4)) | 0;
    lo = (lo + Math.imul(al7, bl5)) | 0;
    mid = (mid + Math.imul(al7, bh5)) | 0;
    mid = (mid + Math.imul(ah7, bl5)) | 0;
    hi = (hi + Math.imul(ah7, bh5)) | 0;
    lo = (lo + Math.imul(al6, bl6)) | 0;
    mid = (mid + Math.imul(al6, bh6)) | 0;
    mid = (mid + Math.imul(ah6, bl6)) | 0;
    hi = (hi + Math.imul(ah6, bh6)) | 0;
    lo = (lo + Math.imul(al5, bl7)) | 0;
    mid = (mid + Math.imul(al5, bh7)) | 0;
    mid = (mid + Math.imul(ah5, bl7)) | 0;
    hi = (hi + Math.imul(ah5, bh7)) | 0;
    lo = (lo + Math.imul(al4, bl8)) | 0;
    mid = (mid + Math.imul(al4, bh8)) | 0;
    mid = (mid + Math.imul(ah4, bl8)) | 0;
    hi = (hi + Math.imul(ah4, bh8)) | 0;
    lo = (lo + Math.imul(al3, bl9)) | 0;
    mid = (mid + Math.imul(al3, bh9)) | 0;
    mid = (mid + Math.imul(ah3, bl9)) | 0;
    hi = (hi + Math.imul(ah3, bh9)) | 0;
    var w12 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w12 >>> 26)) | 0;
    w12 &= 0x3ffffff;
    /* k = 13 */
    lo = Math.imul(al9, bl4);
    mid = Math.imul(al9, bh4);
    mid = (mid + Math.imul(ah9, bl4)) | 0;
    hi = Math.imul(ah9, bh4);
    lo = (lo + Math.imul(al8, bl5)) | 0;
    mid = (mid + Math.imul(al8, bh5)) | 0;
    mid = (mid + Math.imul(ah8, bl5)) | 0;
    hi = (hi + Math.imul(ah8, bh5)) | 0;
    lo = (lo + Math.imul(al7, bl6)) | 0;
    mid = (mid + Math.imul(al7, bh6)) | 0;
    mid = (mid + Math.imul(ah7, bl6)) | 0;
    hi = (hi + Math.imul(ah7, bh6)) | 0;
    lo = (lo + Math.imul(al6, bl7)) | 0;
    mid = (mid + Math.imul(al6, bh7)) | 0;
    mid = (mid + Math.imul(ah6, bl7)) | 0;
    hi = (hi + Math.imul(ah6, bh7)) | 0;
    lo = (lo + Math.imul(al5, bl8)) | 0;
    mid = (mid + Math.imul(al5, bh8)) | 0;
    mid = (mid + Math.imul(ah5, bl8)) | 0;
    hi = (hi + Math.imul(ah5, bh8)) | 0;
    lo = (lo + Math.imul(al4, bl9)) | 0;
    mid = (mid + Math.imul(al4, bh9)) | 0;
    mid = (mid + Math.imul(ah4, bl9)) | 0;
    hi = (hi + Math.imul(ah4, bh9)) | 0;
    var w13 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w13 >>> 26)) | 0;
    w13 &= 0x3ffffff;
    /* k = 14 */
    lo = Math.imul(al9, bl5);
    mid = Math.imul(al9, bh5);
    mid = (mid + Math.imul(ah9, bl5)) | 0;
    hi = Math.imul(ah9, bh5);
    lo = (lo + Math.imul(al8, bl6)) | 0;
    mid = (mid + Math.imul(al8, bh6)) | 0;
    mid = (mid + Math.imul(ah8, bl6)) | 0;
    hi = (hi + Math.imul(ah8, bh6)) | 0;
    lo = (lo + Math.imul(al7, bl7)) | 0;
    mid = (mid + Math.imul(al7, bh7)) | 0;
    mid = (mid + Math.imul(ah7, bl7)) | 0;
    hi = (hi + Math.imul(ah7, bh7)) | 0;
    lo = (lo + Math.imul(al6, bl8)) | 0;
    mid = (mid + Math.imul(al6, bh8)) | 0;
    mid = (mid + Math.imul(ah6, bl8)) | 0;
    hi = (hi + Math.imul(ah6, bh8)) | 0;
    lo = (lo + Math.imul(al5, bl9)) | 0;
    mid = (mid + Math.imul(al5, bh9)) | 0;
    mid = (mid + Math.imul(ah5, bl9)) | 0;
    hi = (hi + Math.imul(ah5, bh9)) | 0;
    var w14 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w14 >>> 26)) | 0;
    w14 &= 0x3ffffff;
    /* k = 15 */
    lo = Math.imul(al9, bl6);
    mid = Math.imul(al9, bh6);
    mid = (mid + Math.imul(ah9, bl6)) | 0;
    hi = Math.imul(ah9, bh6);
    lo = (lo + Math.imul(al8, bl7)) | 0;
    mid = (mid + Math.imul(al8, bh7)) | 0;
    mid = (mid + Math.imul(ah8, bl7)) | 0;
    hi = (hi + Math.imul(ah8, bh7)) | 0;
    lo = (lo + Math.imul(al7, bl8)) | 0;
    mid = (mid + Math.imul(al7, bh8)) | 0;
    mid = (mid + Math.imul(ah7, bl8)) | 0;
    hi = (hi + Math.imul(ah7, bh8)) | 0;
    lo = (lo + Math.imul(al6, bl9)) | 0;
    mid = (mid + Math.imul(al6, bh9)) | 0;
    mid = (mid + Math.imul(ah6, bl9)) | 0;
    hi = (hi + Math.imul(ah6, bh9)) | 0;
    var w15 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w15 >>> 26)) | 0;
    w15 &= 0x3ffffff;
    /* k = 16 */
    lo = Math.imul(al9, bl7);
    mid = Math.imul(al9, bh7);
    mid = (mid + Math.imul(ah9, bl7)) | 0;
    hi = Math.imul(ah9, bh7);
    lo = (lo + Math.imul(al8, bl8)) | 0;
    mid = (mid + Math.imul(al8, bh8)) | 0;
    mid = (mid + Math.imul(ah8, bl8)) | 0;
    hi = (hi + Math.imul(ah8, bh8)) | 0;
    lo = (lo + Math.imul(al7, bl9)) | 0;
    mid = (mid + Math.imul(al7, bh9)) | 0;
    mid = (mid + Math.imul(ah7, bl9)) | 0;
    hi = (hi + Math.imul(ah7, bh9)) | 0;
    var w16 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w16 >>> 26)) | 0;
    w16 &= 0x3ffffff;
    /* k = 17 */
    lo = Math.imul(al9, bl8);
    mid = Math.imul(al9, bh8);
    mid = (mid + Math.imul(ah9, bl8)) | 0;
    hi = Math.imul(ah9, bh8);
    lo = (lo + Math.imul(al8, bl9)) | 0;
    mid = (mid + Math.imul(al8, bh9)) | 0;
    mid = (mid + Math.imul(ah8, bl9)) | 0;
    hi = (hi + Math.imul(ah8, bh9)) | 0;
    var w17 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w17 >>> 26)) | 0;
    w17 &= 0x3ffffff;
    /* k = 18 */
    lo = Math.imul(al9, bl9);
    mid = Math.imul(al9, bh9);
    mid = (mid + Math.imul(ah9, bl9)) | 0;
    hi = Math.imul(ah9, bh9);
    var w18 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w18 >>> 26)) | 0;
    w18 &= 0x3ffffff;
    o[0] = w0;
    o[1] = w1;
    o[2] = w2;
    o[3] = w3;
    o[4] = w4;
    o[5] = w5;
    o[6] = w6;
    o[7] = w7;
    o[8] = w8;
    o[9] = w9;
    o[10] = w10;
    o[11] = w11;
    o[12] = w12;
    o[13] = w13;
    o[14] = w14;
    o[15] = w15;
    o[16] = w16;
    o[17] = w17;
    o[18] = w18;
    if (c !== 0) {
      o[19] = c;
      out.length++;
    }
    return out;
  };

  // Polyfill comb
  if (!Math.imul) {
    comb10MulTo = smallMulTo;
  }

  function bigMulTo (self, num, out) {
    out.negative = num.negative ^ self.negative;
    out.length = self.length + num.length;

    var carry = 0;
    var hncarry = 0;
    for (var k = 0; k < out.length - 1; k++) {
      // Sum all words with the same `i + j = k` and accumulate `ncarry`,
      // note that ncarry could be >= 0x3ffffff
      var ncarry = hncarry;
      hncarry = 0;
      var rword = carry & 0x3ffffff;
      var maxJ = Math.min(k, num.length - 1);
      for (var j = Math.max(0, k - self.length + 1); j <= maxJ; j++) {
        var i = k - j;
        var a = self.words[i] | 0;
        var b = num.words[j] | 0;
        var r = a * b;

        var lo = r & 0x3ffffff;
        ncarry = (ncarry + ((r / 0x4000000) | 0)) | 0;
        lo = (lo + rword) | 0;
        rword = lo & 0x3ffffff;
        ncarry = (ncarry + (lo >>> 26)) | 0;

        hncarry += ncarry >>> 26;
        ncarry &= 0x3ffffff;
      }
      out.words[k] = rword;
      carry = ncarry;
      ncarry = hncarry;
    }
    if (carry !== 0) {
      out.words[k] = carry;
    } else {
      out.length--;
    }

    return out.strip();
  }

  function jumboMulTo (self, num, out) {
    var fftm = new FFTM();
    return fftm.mulp(self, num, out);
  }

  BN.prototype.mulTo = function mulTo (num, out) {
    var res;
    var len = this.length + num.length;
    if (this.length === 10 && num.length === 10) {
      res = comb10MulTo(this, num, out);
    } else if (len < 63) {
      res = smallMulTo(this, num, out);
    } else if (len < 1024) {
      res = bigMulTo(this, num, out);
    } else {
      res = jumboMulTo(this, num, out);
    }

    return res;
  };

  // Cooley-Tukey algorithm for FFT
  // slightly revisited to rely on looping instead of recursion

  function FFTM (x, y) {
    this.x = x;
    this.y = y;
  }

  FFTM.prototype.makeRBT = function makeRBT (N) {
    var t = new Array(N);
    var l = BN.prototype._countBits(N) - 1;
    for (var i = 0; i < N; i++) {
      t[i] = this.revBin(i, l, N);
    }

    return t;
  };

  // Returns binary-reversed representation of `x`
  FFTM.prototype.revBin = function revBin (x, l, N) {
    if (x === 0 || x === N - 1) return x;

    var rb = 0;
    for (var i = 0; i < l; i++) {
      rb |= (x & 1) << (l - i - 1);
      x >>= 1;
    }

    return rb;
  };

  // Performs "tweedling" phase, therefore 'emulating'
  // behaviour of the recursive algorithm
  FFTM.prototype.permute = function permute (rbt, rws, iws, rtws, itws, N) {
    for (var i = 0; i < N; i++) {
      rtws[i] = rws[rbt[i]];
      itws[i] = iws[rbt[i]];
    }
  };

  FFTM.prototype.transform = function transform (rws, iws, rtws, itws, N, rbt) {
    this.permute(rbt, rws, iws, rtws, itws, N);

    for (var s = 1; s < N; s <<= 1) {
      var l = s << 1;

      var rtwdf = Math.cos(2 * Math.PI / l);
      var itwdf = Math.sin(2 * Math.PI / l);

      for (var p = 0; p < N; p += l) {
        var rtwdf_ = rtwdf;
        var itwdf_ = itwdf;

        for (var j = 0; j < s; j++) {
          var re = rtws[p + j];
          var ie = itws[p + j];

          var ro = rtws[p + j + s];
          var io = itws[p + j + s];

          var rx = rtwdf_ * ro - itwdf_ * io;

          io = rtwdf_ * io + itwdf_ * ro;
          ro = rx;

          rtws[p + j] = re + ro;
          itws[p + j] = ie + io;

          rtws[p + j + s] = re - ro;
          itws[p + j + s] = ie - io;

          /* jshint maxdepth : false */
          if (j !== l) {
            rx = rtwdf * rtwdf_ - itwdf * itwdf_;

            itwdf_ = rtwdf * itwdf_ + itwdf * rtwdf_;
            rtwdf_ = rx;
          }
        }
      }
    }
  };

  FFTM.prototype.guessLen13b = function guessLen13b (n, m) {
    var N = Math.max(m, n) | 1;
    var odd = N & 1;
    var i = 0;
    for (N = N / 2 | 0; N; N = N >>> 1) {
      i++;
    }

    return 1 << i + 1 + odd;
  };

  FFTM.prototype.conjugate = function conjugate (rws, iws, N) {
    if (N <= 1) return;

    for (var i = 0; i < N / 2; i++) {
      var t = rws[i];

      rws[i] = rws[N - i - 1];
      rws[N - i - 1] = t;

      t = iws[i];

      iws[i] = -iws[N - i - 1];
      iws[N - i - 1] = -t;
    }
  };

  FFTM.prototype.normalize13b = function normalize13b (ws, N) {
    var carry = 0;
    for (var i = 0; i < N / 2; i++) {
      var w = Math.round(ws[2 * i + 1] / N) * 0x2000 +
        Math.round(ws[2 * i] / N) +
        carry;

      ws[i] = w & 0x3ffffff;

      if (w < 0x4000000) {
        carry = 0;
      } else {
        carry = w / 0x4000000 | 0;
      }
    }

    return ws;
  };

  FFTM.prototype.convert13b = function convert13b (ws, len, rws, N) {
    var carry = 0;
    for (var i = 0; i < len; i++) {
      carry = carry + (ws[i] | 0);

      rws[2 * i] = carry & 0x1fff; carry = carry >>> 13;
      rws[2 * i + 1] = carry & 0x1fff; carry = carry >>> 13;
    }

    // Pad with zeroes
    for (i = 2 * len; i < N; ++i) {
      rws[i] = 0;
    }

    assert(carry === 0);
    assert((carry & ~0x1fff) === 0);
  };

  FFTM.prototype.stub = function stub (N) {
    var ph = new Array(N);
    for (var i = 0; i < N; i++) {
      ph[i] = 0;
    }

    return ph;
  };

  FFTM.prototype.mulp = function mulp (x, y, out) {
    var N = 2 * this.guessLen13b(x.length, y.length);

    var rbt = this.makeRBT(N);

    var _ = this.stub(N);

    var rws = new Array(N);
    var rwst = new Array(N);
    var iwst = new Array(N);

    var nrws = new Array(N);
    var nrwst = new Array(N);
    var niwst = new Array(N);

    var rmws = out.words;
    rmws.length = N;

    this.convert13b(x.words, x.length, rws, N);
    this.convert13b(y.words, y.length, nrws, N);

    this.transform(rws, _, rwst, iwst, N, rbt);
    this.transform(nrws, _, nrwst, niwst, N, rbt);

    for (var i = 0; i < N; i++) {
      var rx = rwst[i] * nrwst[i] - iwst[i] * niwst[i];
      iwst[i] = rwst[i] * niwst[i] + iwst[i] * nrwst[i];
      rwst[i] = rx;
    }

    this.conjugate(rwst, iwst, N);
    this.transform(rwst, iwst, rmws, _, N, rbt);
    this.conjugate(rmws, _, N);
    this.normalize13b(rmws, N);

    out.negative = x.negative ^ y.negative;
    out.length = x.length + y.length;
    return out.strip();
  };

  // Multiply `this` by `num`
  BN.prototype.mul = function mul (num) {
    var out = new BN(null);
    out.words = new Array(this.length + num.length);
    return this.mulTo(num, out);
  };

  // Multiply employing FFT
  BN.prototype.mulf = function mulf (num) {
    var out = new BN(null);
    out.words = new Array(this.length + num.length);
    return jumboMulTo(this, num, out);
  };

  // In-place Multiplication
  BN.prototype.imul = function imul (num) {
    return this.clone().mulTo(num, this);
  };

  BN.prototype.imuln = function imuln (num) {
    assert(typeof num === 'number');
    assert(num < 0x4000000);

    // Carry
    var carry = 0;
    for (var i = 0; i < this.length; i++) {
      var w = (this.words[i] | 0) * num;
      var lo = (w & 0x3ffffff) + (carry & 0x3ffffff);
      carry >>= 26;
      carry += (w / 0x4000000) | 0;
      // NOTE: lo is 27bit maximum
      carry += lo >>> 26;
      this.words[i] = lo & 0x3ffffff;
    }

    if (carry !== 0) {
      this.words[i] = carry;
      this.length++;
    }
    if (num === 0) {
      this.length = 1;
      this._normSign();
    }

    return this;
  };

  BN.prototype.muln = function muln (num) {
    return this.clone().imuln(num);
  };

  // `this` * `this`
  BN.prototype.sqr = function sqr () {
    return this.mul(this);
  };

  // `this` * `this` in-place
  BN.prototype.isqr = function isqr () {
    return this.imul(this.clone());
  };

  // Math.pow(`this`, `num`)
  BN.prototype.pow = function pow (num) {
    var w = toBitArray(num);
    if (w.length === 0) return new BN(1);

    // Skip leading zeroes
    var res = this;
    for (var i = 0; i < w.length; i++, res = res.sqr()) {
      if (w[i] !== 0) break;
    }

    if (++i < w.length) {
      for (var q = res.sqr(); i < w.length; i++, q = q.sqr()) {
        if (w[i] === 0) continue;

        res = res.mul(q);
      }
    }

    return res;
  };

  // Shift-left in-place
  BN.prototype.iushln = function iushln (bits) {
    assert(typeof bits === 'number' && bits >= 0);
    var r = bits % 26;
    var s = (bits - r) / 26;
    var carryMask = (0x3ffffff >>> (26 - r)) << (26 - r);
    var i;

    if (r !== 0) {
      var carry = 0;

      for (i = 0; i < this.length; i++) {
        var newCarry = this.words[i] & carryMask;
        var c = ((this.words[i] | 0) - newCarry) << r;
        this.words[i] = c | carry;
        carry = newCarry >>> (26 - r);
      }

      if (carry) {
        this.words[i] = carry;
        this.length++;
      }
    }

    if (s !== 0) {
      for (i = this.length - 1; i >= 0; i--) {
        this.words[i + s] = this.words[i];
      }

      for (i = 0; i < s; i++) {
        this.words[i] = 0;
      }

      this.length += s;
    }

    return this.strip();
  };

  BN.prototype.ishln = function ishln (bits) {
    // TODO(indutny): implement me
    assert(this.negative === 0);
    return this.iushln(bits);
  };

  // Shift-right in-place
  // NOTE: `hint` is a lowest bit before trailing zeroes
  // NOTE: if `extended` is present - it will be filled with destroyed bits
  BN.prototype.iushrn = function iushrn (bits, hint, extended) {
    assert(typeof bits === 'number' && bits >= 0);
    var h;
    if (hint) {
      h = (hint - (hint % 26)) / 26;
    } else {
      h = 0;
    }

    var r = bits % 26;
    var s = Math.min((bits - r) / 26, this.length);
    var mask = 0x3ffffff ^ ((0x3ffffff >>> r) << r);
    var maskedWords = extended;

    h -= s;
    h = Math.max(0, h);

    // Extended mode, copy masked part
    if (maskedWords) {
      for (var i = 0; i < s; i++) {
        maskedWords.words[i] = this.words[i];
      }
      maskedWords.length = s;
    }

    if (s === 0) {
      // No-op, we should not move anything at all
    } else if (this.length > s) {
      this.length -= s;
      for (i = 0; i < this.length; i++) {
        this.words[i] = this.words[i + s];
      }
    } else {
      this.words[0] = 0;
      this.length = 1;
    }

    var carry = 0;
    for (i = this.length - 1; i >= 0 && (carry !== 0 || i >= h); i--) {
      var word = this.words[i] | 0;
      this.words[i] = (carry << (26 - r)) | (word >>> r);
      carry = word & mask;
    }

    // Push carried bits as a mask
    if (maskedWords && carry !== 0) {
      maskedWords.words[maskedWords.length++] = carry;
    }

    if (this.length === 0) {
      this.words[0] = 0;
      this.length = 1;
    }

    return this.strip();
  };

  BN.prototype.ishrn = function ishrn (bits, hint, extended) {
    // TODO(indutny): implement me
    assert(this.negative === 0);
    return this.iushrn(bits, hint, extended);
  };

  // Shift-left
  BN.prototype.shln = function shln (bits) {
    return this.clone().ishln(bits);
  };

  BN.prototype.ushln = function ushln (bits) {
    return this.clone().iushln(bits);
  };

  // Shift-right
  BN.prototype.shrn = function shrn (bits) {
    return this.clone().ishrn(bits);
  };

  BN.prototype.ushrn = function ushrn (bits) {
    return this.clone().iushrn(bits);
  };

  // Test if n bit is set
  BN.prototype.testn = function testn (bit) {
    assert(typeof bit === 'number' && bit >= 0);
    var r = bit % 26;
    var s = (bit - r) / 26;
    var q = 1 << r;

    // Fast case: bit is much higher than all existing words
    if (this.length <= s) return false;

    // Check bit and return
    var w = this.words[s];

    return !!(w & q);
  };

  // Return only lowers bits of number (in-place)
  BN.prototype.imaskn = function imaskn (bits) {
    assert(typeof bits === 'number' && bits >= 0);
    var r = bits % 26;
    var s = (bits - r) / 26;

    assert(this.negative === 0, 'imaskn works only with positive numbers');

    if (this.length <= s) {
      return this;
    }

    if (r !== 0) {
      s++;
    }
    this.length = Math.min(s, this.length);

    if (r !== 0) {
      var mask = 0x3ffffff ^ ((0x3ffffff >>> r) << r);
      this.words[this.length - 1] &= mask;
    }

    if (this.length === 0) {
      this.words[0] = 0;
      this.length = 1;
    }

    return this.strip();
  };

  // Return only lowers bits of number
  BN.prototype.maskn = function maskn (bits) {
    return this.clone().imaskn(bits);
  };

  // Add plain number `num` to `this`
  BN.prototype.iaddn = function iaddn (num) {
    assert(typeof num === 'number');
    assert(num < 0x4000000);
    if (num < 0) return this.isubn(-num);

    // Possible sign change
    if (this.negative !== 0) {
      if (this.length === 1 && (this.words[0] | 0) < num) {
        this.words[0] = num - (this.words[0] | 0);
        this.negative = 0;
        return this;
      }

      this.negative = 0;
      this.isubn(num);
      this.negative = 1;
      return this;
    }

    // Add without checks
    return this._iaddn(num);
  };

  BN.prototype._iaddn = function _iaddn (num) {
    this.words[0] += num;

    // Carry
    for (var i = 0; i < this.length && this.words[i] >= 0x4000000; i++) {
      this.words[i] -= 0x4000000;
      if (i === this.length - 1) {
        this.words[i + 1] = 1;
      } else {
        this.words[i + 1]++;
      }
    }
    this.length = Math.max(this.length, i + 1);

    return this;
  };

  // Subtract plain number `num` from `this`
  BN.prototype.isubn = function isubn (num) {
    assert(typeof num === 'number');
    assert(num < 0x4000000);
    if (num < 0) return this.iaddn(-num);

    if (this.negative !== 0) {
      this.negative = 0;
      this.iaddn(num);
      this.negative = 1;
      return this;
    }

    this.words[0] -= num;

    if (this.length === 1 && this.words[0] < 0) {
      this.words[0] = -this.words[0];
      this.negative = 1;
    } else {
      // Carry
      for (var i = 0; i < this.length && this.words[i] < 0; i++) {
        this.words[i] += 0x4000000;
        this.words[i + 1] -= 1;
      }
    }

    return this.strip();
  };

  BN.prototype.addn = function addn (num) {
    return this.clone().iaddn(num);
  };

  BN.prototype.subn = function subn (num) {
    return this.clone().isubn(num);
  };

  BN.prototype.iabs = function iabs () {
    this.negative = 0;

    return this;
  };

  BN.prototype.abs = function abs () {
    return this.clone().iabs();
  };

  BN.prototype._ishlnsubmul = function _ishlnsubmul (num, mul, shift) {
    var len = num.length + shift;
    var i;

    this._expand(len);

    var w;
    var carry = 0;
    for (i = 0; i < num.length; i++) {
      w = (this.words[i + shift] | 0) + carry;
      var right = (num.words[i] | 0) * mul;
      w -= right & 0x3ffffff;
      carry = (w >> 26) - ((right / 0x4000000) | 0);
      this.words[i + shift] = w & 0x3ffffff;
    }
    for (; i < this.length - shift; i++) {
      w = (this.words[i + shift] | 0) + carry;
      carry = w >> 26;
      this.words[i + shift] = w & 0x3ffffff;
    }

    if (carry === 0) return this.strip();

    // Subtraction overflow
    assert(carry === -1);
    carry = 0;
    for (i = 0; i < this.length; i++) {
      w = -(this.words[i] | 0) + carry;
      carry = w >> 26;
      this.words[i] = w & 0x3ffffff;
    }
    this.negative = 1;

    return this.strip();
  };

  BN.prototype._wordDiv = function _wordDiv (num, mode) {
    var shift = this.length - num.length;

    var a = this.clone();
    var b = num;

    // Normalize
    var bhi = b.words[b.length - 1] | 0;
    var bhiBits = this._countBits(bhi);
    shift = 26 - bhiBits;
    if (shift !== 0) {
      b = b.ushln(shift);
      a.iushln(shift);
      bhi = b.words[b.length - 1] | 0;
    }

    // Initialize quotient
    var m = a.length - b.length;
    var q;

    if (mode !== 'mod') {
      q = new BN(null);
      q.length = m + 1;
      q.words = new Array(q.length);
      for (var i = 0; i < q.length; i++) {
        q.words[i] = 0;
      }
    }

    var diff = a.clone()._ishlnsubmul(b, 1, m);
    if (diff.negative === 0) {
      a = diff;
      if (q) {
        q.words[m] = 1;
      }
    }

    for (var j = m - 1; j >= 0; j--) {
      var qj = (a.words[b.length + j] | 0) * 0x4000000 +
        (a.words[b.length + j - 1] | 0);

      // NOTE: (qj / bhi) is (0x3ffffff * 0x4000000 + 0x3ffffff) / 0x2000000 max
      // (0x7ffffff)
      qj = Math.min((qj / bhi) | 0, 0x3ffffff);

      a._ishlnsubmul(b, qj, j);
      while (a.negative !== 0) {
        qj--;
        a.negative = 0;
        a._ishlnsubmul(b, 1, j);
        if (!a.isZero()) {
          a.negative ^= 1;
        }
      }
      if (q) {
        q.words[j] = qj;
      }
    }
    if (q) {
      q.strip();
    }
    a.strip();

    // Denormalize
    if (mode !== 'div' && shift !== 0) {
      a.iushrn(shift);
    }

    return {
      div: q || null,
      mod: a
    };
  };

  // NOTE: 1) `mode` can be set to `mod` to request mod only,
  //       to `div` to request div only, or be absent to
  //       request both div & mod
  //       2) `positive` is true if unsigned mod is requested
  BN.prototype.divmod = function divmod (num, mode, positive) {
    assert(!num.isZero());

    if (this.isZero()) {
      return {
        div: new BN(0),
        mod: new BN(0)
      };
    }

    var div, mod, res;
    if (this.negative !== 0 && num.negative === 0) {
      res = this.neg().divmod(num, mode);

      if (mode !== 'mod') {
        div = res.div.neg();
      }

      if (mode !== 'div') {
        mod = res.mod.neg();
        if (positive && mod.negative !== 0) {
          mod.iadd(num);
        }
      }

      return {
        div: div,
        mod: mod
      };
    }

    if (this.negative === 0 && num.negative !== 0) {
      res = this.divmod(num.neg(), mode);

      if (mode !== 'mod') {
        div = res.div.neg();
      }

      return {
        div: div,
        mod: res.mod
      };
    }

    if ((this.negative & num.negative) !== 0) {
      res = this.neg().divmod(num.neg(), mode);

      if (mode !== 'div') {
        mod = res.mod.neg();
        if (positive && mod.negative !== 0) {
          mod.isub(num);
        }
      }

      return {
        div: res.div,
        mod: mod
      };
    }

    // Both numbers are positive at this point

    // Strip both numbers to approximate shift value
    if (num.length > this.length || this.cmp(num) < 0) {
      return {
        div: new BN(0),
        mod: this
      };
    }

    // Very short reduction
    if (num.length === 1) {
      if (mode === 'div') {
        return {
          div: this.divn(num.words[0]),
          mod: null
        };
      }

      if (mode === 'mod') {
        return {
          div: null,
          mod: new BN(this.modn(num.words[0]))
        };
      }

      return {
        div: this.divn(num.words[0]),
        mod: new BN(this.modn(num.words[0]))
      };
    }

    return this._wordDiv(num, mode);
  };

  // Find `this` / `num`
  BN.prototype.div = function div (num) {
    return this.divmod(num, 'div', false).div;
  };

  // Find `this` % `num`
  BN.prototype.mod = function mod (num) {
    return this.divmod(num, 'mod', false).mod;
  };

  BN.prototype.umod = function umod (num) {
    return this.divmod(num, 'mod', true).mod;
  };

  // Find Round(`this` / `num`)
  BN.prototype.divRound = function divRound (num) {
    var dm = this.divmod(num);

    // Fast case - exact division
    if (dm.mod.isZero()) return dm.div;

    var mod = dm.mod.abs();

    var half = num.abs().iushrn(1);
    var r2 = num.words[0] & 1;
    var cmp = mod.cmp(half);

    // Round down
    if (cmp < 0 || r2 === 1 && cmp === 0) return dm.div;

    // Round up, away from zero
    var up = new BN(1);
    up.negative = this.negative ^ num.negative;
    return dm.div.iadd(up);
  };

  BN.prototype.modn = function modn (num) {
    assert(num <= 0x3ffffff);
    var p = (1 << 26) % num;

    var acc = 0;
    for (var i = this.length - 1; i >= 0; i--) {
      acc = (p * acc + (this.words[i] | 0)) % num;
    }

    return acc;
  };

  // In-place division by number
  BN.prototype.idivn = function idivn (num) {
    assert(num <= 0x3ffffff);

    var carry = 0;
    for (var i = this.length - 1; i >= 0; i--) {
      var w = (this.words[i] | 0) + carry * 0x4000000;
      this.words[i] = (w / num) | 0;
      carry = w % num;
    }

    return this.strip();
  };

  BN.prototype.divn = function divn (num) {
    return this.clone().idivn(num);
  };

  BN.prototype.egcd = function egcd (p) {
    assert(p.negative === 0);
    assert(!p.isZero());

    var x = this;
    var y = p.clone();

    if (x.negative !== 0) {
      x = x.umod(p);
    } else {
      x = x.clone();
    }

    // A * x + B * y = x
    var A = new BN(1);
    var B = new BN(0);

    // C * x + D * y = y
    var C = new BN(0);
    var D = new BN(1);

    var g = 0;

    while (x.isEven() && y.isEven()) {
      x.iushrn(1);
      y.iushrn(1);
      ++g;
    }

    var yp = y.clone();
    var xp = x.clone();

    while (!x.isZero()) {
      for (var i = 0, im = 1; (x.words[0] & im) === 0 && i < 26; ++i, im <<= 1);
      if (i > 0) {
        x.iushrn(i);
        while (i-- > 0) {
          if (A.isOdd() || B.isOdd()) {
            A.iadd(yp);
            B.isub(xp);
          }

          A.iushrn(1);
          B.iushrn(1);
        }
      }

      for (var j = 0, jm = 1; (y.words[0] & jm) === 0 && j < 26; ++j, jm <<= 1);
      if (j > 0) {
        y.iushrn(j);
        while (j-- > 0) {
          if (C.isOdd() || D.isOdd()) {
            C.iadd(yp);
            D.isub(xp);
          }

          C.iushrn(1);
          D.iushrn(1);
        }
      }

      if (x.cmp(y) >= 0) {
        x.isub(y);
        A.isub(C);
        B.isub(D);
      } else {
        y.isub(x);
        C.isub(A);
        D.isub(B);
      }
    }

    return {
      a: C,
      b: D,
      gcd: y.iushln(g)
    };
  };

  // This is reduced incarnation of the binary EEA
  // above, designated to invert members of the
  // _prime_ fields F(p) at a maximal speed
  BN.prototype._invmp = function _invmp (p) {
    assert(p.negative === 0);
    assert(!p.isZero());

    var a = this;
    var b = p.clone();

    if (a.negative !== 0) {
      a = a.umod(p);
    } else {
      a = a.clone();
    }

    var x1 = new BN(1);
    var x2 = new BN(0);

    var delta = b.clone();

    while (a.cmpn(1) > 0 && b.cmpn(1) > 0) {
      for (var i = 0, im = 1; (a.words[0] & im) === 0 && i < 26; ++i, im <<= 1);
      if (i > 0) {
        a.iushrn(i);
        while (i-- > 0) {
          if (x1.isOdd()) {
            x1.iadd(delta);
          }

          x1.iushrn(1);
        }
      }

      for (var j = 0, jm = 1; (b.words[0] & jm) === 0 && j < 26; ++j, jm <<= 1);
      if (j > 0) {
        b.iushrn(j);
        while (j-- > 0) {
          if (x2.isOdd()) {
            x2.iadd(delta);
          }

          x2.iushrn(1);
        }
      }

      if (a.cmp(b) >= 0) {
        a.isub(b);
        x1.isub(x2);
      } else {
        b.isub(a);
        x2.isub(x1);
      }
    }

    var res;
    if (a.cmpn(1) === 0) {
      res = x1;
    } else {
      res = x2;
    }

    if (res.cmpn(0) < 0) {
      res.iadd(p);
    }

    return res;
  };

  BN.prototype.gcd = function gcd (num) {
    if (this.isZero()) return num.abs();
    if (num.isZero()) return this.abs();

    var a = this.clone();
    var b = num.clone();
    a.negative = 0;
    b.negative = 0;

    // Remove common factor of two
    for (var shift = 0; a.isEven() && b.isEven(); shift++) {
      a.iushrn(1);
      b.iushrn(1);
    }

    do {
      while (a.isEven()) {
        a.iushrn(1);
      }
      while (b.isEven()) {
        b.iushrn(1);
      }

      var r = a.cmp(b);
      if (r < 0) {
        // Swap `a` and `b` to make `a` always bigger than `b`
        var t = a;
        a = b;
        b = t;
      } else if (r === 0 || b.cmpn(1) === 0) {
        break;
      }

      a.isub(b);
    } while (true);

    return b.iushln(shift);
  };

  // Invert number in the field F(num)
  BN.prototype.invm = function invm (num) {
    return this.egcd(num).a.umod(num);
  };

  BN.prototype.isEven = function isEven () {
    return (this.words[0] & 1) === 0;
  };

  BN.prototype.isOdd = function isOdd () {
    return (this.words[0] & 1) === 1;
  };

  // And first word and num
  BN.prototype.andln = function andln (num) {
    return this.words[0] & num;
  };

  // Increment at the bit position in-line
  BN.prototype.bincn = function bincn (bit) {
    assert(typeof bit === 'number');
    var r = bit % 26;
    var s = (bit - r) / 26;
    var q = 1 << r;

    // Fast case: bit is much higher than all existing words
    if (this.length <= s) {
      this._expand(s + 1);
      this.words[s] |= q;
      return this;
    }

    // Add bit and propagate, if needed
    var carry = q;
    for (var i = s; carry !== 0 && i < this.length; i++) {
      var w = this.words[i] | 0;
      w += carry;
      carry = w >>> 26;
      w &= 0x3ffffff;
      this.words[i] = w;
    }
    if (carry !== 0) {
      this.words[i] = carry;
      this.length++;
    }
    return this;
  };

  BN.prototype.isZero = function isZero () {
    return this.length === 1 && this.words[0] === 0;
  };

  BN.prototype.cmpn = function cmpn (num) {
    var negative = num < 0;

    if (this.negative !== 0 && !negative) return -1;
    if (this.negative === 0 && negative) return 1;

    this.strip();

    var res;
    if (this.length > 1) {
      res = 1;
    } else {
      if (negative) {
        num = -num;
      }

      assert(num <= 0x3ffffff, 'Number is too big');

      var w = this.words[0] | 0;
      res = w === num ? 0 : w < num ? -1 : 1;
    }
    if (this.negative !== 0) return -res | 0;
    return res;
  };

  // Compare two numbers and return:
  // 1 - if `this` > `num`
  // 0 - if `this` == `num`
  // -1 - if `this` < `num`
  BN.prototype.cmp = function cmp (num) {
    if (this.negative !== 0 && num.negative === 0) return -1;
    if (this.negative === 0 && num.negative !== 0) return 1;

    var res = this.ucmp(num);
    if (this.negative !== 0) return -res | 0;
    return res;
  };

  // Unsigned comparison
  BN.prototype.ucmp = function ucmp (num) {
    // At this point both numbers have the same sign
    if (this.length > num.length) return 1;
    if (this.length < num.length) return -1;

    var res = 0;
    for (var i = this.length - 1; i >= 0; i--) {
      var a = this.words[i] | 0;
      var b = num.words[i] | 0;

      if (a === b) continue;
      if (a < b) {
        res = -1;
      } else if (a > b) {
        res = 1;
      }
      break;
    }
    return res;
  };

  BN.prototype.gtn = function gtn (num) {
    return this.cmpn(num) === 1;
  };

  BN.prototype.gt = function gt (num) {
    return this.cmp(num) === 1;
  };

  BN.prototype.gten = function gten (num) {
    return this.cmpn(num) >= 0;
  };

  BN.prototype.gte = function gte (num) {
    return this.cmp(num) >= 0;
  };

  BN.prototype.ltn = function ltn (num) {
    return this.cmpn(num) === -1;
  };

  BN.prototype.lt = function lt (num) {
    return this.cmp(num) === -1;
  };

  BN.prototype.lten = function lten (num) {
    return this.cmpn(num) <= 0;
  };

  BN.prototype.lte = function lte (num) {
    return this.cmp(num) <= 0;
  };

  BN.prototype.eqn = function eqn (num) {
    return this.cmpn(num) === 0;
  };

  BN.prototype.eq = function eq (num) {
    return this.cmp(num) === 0;
  };

  //
  // A reduce context, could be using montgomery or something better, depending
  // on the `m` itself.
  //
  BN.red = function red (num) {
    return new Red(num);
  };

  BN.prototype.toRed = function toRed (ctx) {
    assert(!this.red, 'Already a number in reduction context');
    assert(this.negative === 0, 'red works only with positives');
    return ctx.convertTo(this)._forceRed(ctx);
  };

  BN.prototype.fromRed = function fromRed () {
    assert(this.red, 'fromRed works only with numbers in reduction context');
    return this.red.convertFrom(this);
  };

  BN.prototype._forceRed = function _forceRed (ctx) {
    this.red = ctx;
    return this;
  };

  BN.prototype.forceRed = function forceRed (ctx) {
    assert(!this.red, 'Already a number in reduction context');
    return this._forceRed(ctx);
  };

  BN.prototype.redAdd = function redAdd (num) {
    assert(this.red, 'redAdd works only with red numbers');
    return this.red.add(this, num);
  };

  BN.prototype.redIAdd = function redIAdd (num) {
    assert(this.red, 'redIAdd works only with red numbers');
    return this.red.iadd(this, num);
  };

  BN.prototype.redSub = function redSub (num) {
    assert(this.red, 'redSub works only with red numbers');
    return this.red.sub(this, num);
  };

  BN.prototype.redISub = function redISub (num) {
    assert(this.red, 'redISub works only with red numbers');
    return this.red.isub(this, num);
  };

  BN.prototype.redShl = function redShl (num) {
    assert(this.red, 'redShl works only with red numbers');
    return this.red.shl(this, num);
  };

  BN.prototype.redMul = function redMul (num) {
    assert(this.red, 'redMul works only with red numbers');
    this.red._verify2(this, num);
    return this.red.mul(this, num);
  };

  BN.prototype.redIMul = function redIMul (num) {
    assert(this.red, 'redMul works only with red numbers');
    this.red._verify2(this, num);
    return this.red.imul(this, num);
  };

  BN.prototype.redSqr = function redSqr () {
    assert(this.red, 'redSqr works only with red numbers');
    this.red._verify1(this);
    return this.red.sqr(this);
  };

  BN.prototype.redISqr = function redISqr () {
    assert(this.red, 'redISqr works only with red numbers');
    this.red._verify1(this);
    return this.red.isqr(this);
  };

  // Square root over p
  BN.prototype.redSqrt = function redSqrt () {
    assert(this.red, 'redSqrt works only with red numbers');
    this.red._verify1(this);
    return this.red.sqrt(this);
  };

  BN.prototype.redInvm = function redInvm () {
    assert(this.red, 'redInvm works only with red numbers');
    this.red._verify1(this);
    return this.red.invm(this);
  };

  // Return negative clone of `this` % `red modulo`
  BN.prototype.redNeg = function redNeg () {
    assert(this.red, 'redNeg works only with red numbers');
    this.red._verify1(this);
    return this.red.neg(this);
  };

  BN.prototype.redPow = function redPow (num) {
    assert(this.red && !num.red, 'redPow(normalNum)');
    this.red._verify1(this);
    return this.red.pow(this, num);
  };

  // Prime numbers with efficient reduction
  var primes = {
    k256: null,
    p224: null,
    p192: null,
    p25519: null
  };

  // Pseudo-Mersenne prime
  function MPrime (name, p) {
    // P = 2 ^ N - K
    this.name = name;
    this.p = new BN(p, 16);
    this.n = this.p.bitLength();
    this.k = new BN(1).iushln(this.n).isub(this.p);

    this.tmp = this._tmp();
  }

  MPrime.prototype._tmp = function _tmp () {
    var tmp = new BN(null);
    tmp.words = new Array(Math.ceil(this.n / 13));
    return tmp;
  };

  MPrime.prototype.ireduce = function ireduce (num) {
    // Assumes that `num` is less than `P^2`
    // num = HI * (2 ^ N - K) + HI * K + LO = HI * K + LO (mod P)
    var r = num;
    var rlen;

    do {
      this.split(r, this.tmp);
      r = this.imulK(r);
      r = r.iadd(this.tmp);
      rlen = r.bitLength();
    } while (rlen > this.n);

    var cmp = rlen < this.n ? -1 : r.ucmp(this.p);
    if (cmp === 0) {
      r.words[0] = 0;
      r.length = 1;
    } else if (cmp > 0) {
      r.isub(this.p);
    } else {
      if (r.strip !== undefined) {
        // r is BN v4 instance
        r.strip();
      } else {
        // r is BN v5 instance
        r._strip();
      }
    }

    return r;
  };

  MPrime.prototype.split = function split (input, out) {
    input.iushrn(this.n, 0, out);
  };

  MPrime.prototype.imulK = function imulK (num) {
    return num.imul(this.k);
  };

  function K256 () {
    MPrime.call(
      this,
      'k256',
      'ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff fffffffe fffffc2f');
  }
  inherits(K256, MPrime);

  K256.prototype.split = function split (input, output) {
    // 256 = 9 * 26 + 22
    var mask = 0x3fffff;

    var outLen = Math.min(input.length, 9);
    for (var i = 0; i < outLen; i++) {
      output.words[i] = input.words[i];
    }
    output.length = outLen;

    if (input.length <= 9) {
      input.words[0] = 0;
      input.length = 1;
      return;
    }

    // Shift by 9 limbs
    var prev = input.words[9];
    output.words[output.length++] = prev & mask;

    for (i = 10; i < input.length; i++) {
      var next = input.words[i] | 0;
      input.words[i - 10] = ((next & mask) << 4) | (prev >>> 22);
      prev = next;
    }
    prev >>>= 22;
    input.words[i - 10] = prev;
    if (prev === 0 && input.length > 10) {
      input.length -= 10;
    } else {
      input.length -= 9;
    }
  };

  K256.prototype.imulK = function imulK (num) {
    // K = 0x1000003d1 = [ 0x40, 0x3d1 ]
    num.words[num.length] = 0;
    num.words[num.length + 1] = 0;
    num.length += 2;

    // bounded at: 0x40 * 0x3ffffff + 0x3d0 = 0x100000390
    var lo = 0;
    for (var i = 0; i < num.length; i++) {
      var w = num.words[i] | 0;
      lo += w * 0x3d1;
      num.words[i] = lo & 0x3ffffff;
      lo = w * 0x40 + ((lo / 0x4000000) | 0);
    }

    // Fast length reduction
    if (num.words[num.length - 1] === 0) {
      num.length--;
      if (num.words[num.length - 1] === 0) {
        num.length--;
      }
    }
    return num;
  };

  function P224 () {
    MPrime.call(
      this,
      'p224',
      'ffffffff ffffffff ffffffff ffffffff 00000000 00000000 00000001');
  }
  inherits(P224, MPrime);

  function P192 () {
    MPrime.call(
      this,
      'p192',
      'ffffffff ffffffff ffffffff fffffffe ffffffff ffffffff');
  }
  inherits(P192, MPrime);

  function P25519 () {
    // 2 ^ 255 - 19
    MPrime.call(
      this,
      '25519',
      '7fffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffed');
  }
  inherits(P25519, MPrime);

  P25519.prototype.imulK = function imulK (num) {
    // K = 0x13
    var carry = 0;
    for (var i = 0; i < num.length; i++) {
      var hi = (num.words[i] | 0) * 0x13 + carry;
      var lo = hi & 0x3ffffff;
      hi >>>= 26;

      num.words[i] = lo;
      carry = hi;
    }
    if (carry !== 0) {
      num.words[num.length++] = carry;
    }
    return num;
  };

  // Exported mostly for testing purposes, use plain name instead
  BN._prime = function prime (name) {
    // Cached version of prime
    if (primes[name]) return primes[name];

    var prime;
    if (name === 'k256') {
      prime = new K256();
    } else if (name === 'p224') {
      prime = new P224();
    } else if (name === 'p192') {
      prime = new P192();
    } else if (name === 'p25519') {
      prime = new P25519();
    } else {
      throw new Error('Unknown prime ' + name);
    }
    primes[name] = prime;

    return prime;
  };

  //
  // Base reduction engine
  //
  function Red (m) {
    if (typeof m === 'string') {
      var prime = BN._prime(m);
      this.m = prime.p;
      this.prime = prime;
    } else {
      assert(m.gtn(1), 'modulus must be greater than 1');
      this.m = m;
      this.prime = null;
    }
  }

  Red.prototype._verify1 = function _verify1 (a) {
    assert(a.negative === 0, 'red works only with positives');
    assert(a.red, 'red works only with red numbers');
  };

  Red.prototype._verify2 = function _verify2 (a, b) {
    assert((a.negative | b.negative) === 0, 'red works only with positives');
    assert(a.red && a.red === b.red,
      'red works only with red numbers');
  };

  Red.prototype.imod = function imod (a) {
    if (this.prime) return this.prime.ireduce(a)._forceRed(this);
    return a.umod(this.m)._forceRed(this);
  };

  Red.prototype.neg = function neg (a) {
    if (a.isZero()) {
      return a.clone();
    }

    return this.m.sub(a)._forceRed(this);
  };

  Red.prototype.add = function add (a, b) {
    this._verify2(a, b);

    var res = a.add(b);
    if (res.cmp(this.m) >= 0) {
      res.isub(this.m);
    }
    return res._forceRed(this);
  };

  Red.prototype.iadd = function iadd (a, b) {
    this._verify2(a, b);

    var res = a.iadd(b);
    if (res.cmp(this.m) >= 0) {
      res.isub(this.m);
    }
    return res;
  };

  Red.prototype.sub = function sub (a, b) {
    this._verify2(a, b);

    var res = a.sub(b);
    if (res.cmpn(0) < 0) {
      res.iadd(this.m);
    }
    return res._forceRed(this);
  };

  Red.prototype.isub = function isub (a, b) {
    this._verify2(a, b);

    var res = a.isub(b);
    if (res.cmpn(0) < 0) {
      res.iadd(this.m);
    }
    return res;
  };

  Red.prototype.shl = function shl (a, num) {
    this._verify1(a);
    return this.imod(a.ushln(num));
  };

  Red.prototype.imul = function imul (a, b) {
    this._verify2(a, b);
    return this.imod(a.imul(b));
  };

  Red.prototype.mul = function mul (a, b) {
    this._verify2(a, b);
    return this.imod(a.mul(b));
  };

  Red.prototype.isqr = function isqr (a) {
    return this.imul(a, a.clone());
  };

  Red.prototype.sqr = function sqr (a) {
    return this.mul(a, a);
  };

  Red.prototype.sqrt = function sqrt (a) {
    if (a.isZero()) return a.clone();

    var mod3 = this.m.andln(3);
    assert(mod3 % 2 === 1);

    // Fast case
    if (mod3 === 3) {
      var pow = this.m.add(new BN(1)).iushrn(2);
      return this.pow(a, pow);
    }

    // Tonelli-Shanks algorithm (Totally unoptimized and slow)
    //
    // Find Q and S, that Q * 2 ^ S = (P - 1)
    var q = this.m.subn(1);
    var s = 0;
    while (!q.isZero() && q.andln(1) === 0) {
      s++;
      q.iushrn(1);
    }
    assert(!q.isZero());

    var one = new BN(1).toRed(this);
    var nOne = one.redNeg();

    // Find quadratic non-residue
    // NOTE: Max is such because of generalized Riemann hypothesis.
    var lpow = this.m.subn(1).iushrn(1);
    var z = this.m.bitLength();
    z = new BN(2 * z * z).toRed(this);

    while (this.pow(z, lpow).cmp(nOne) !== 0) {
      z.redIAdd(nOne);
    }

    var c = this.pow(z, q);
    var r = this.pow(a, q.addn(1).iushrn(1));
    var t = this.pow(a, q);
    var m = s;
    while (t.cmp(one) !== 0) {
      var tmp = t;
      for (var i = 0; tmp.cmp(one) !== 0; i++) {
        tmp = tmp.redSqr();
      }
      assert(i < m);
      var b = this.pow(c, new BN(1).iushln(m - i - 1));

      r = r.redMul(b);
      c = b.redSqr();
      t = t.redMul(c);
      m = i;
    }

    return r;
  };

  Red.prototype.invm = function invm (a) {
    var inv = a._invmp(this.m);
    if (inv.negative !== 0) {
      inv.negative = 0;
      return this.imod(inv).redNeg();
    } else {
      return this.imod(inv);
    }
  };

  Red.prototype.pow = function pow (a, num) {
    if (num.isZero()) return new BN(1).toRed(this);
    if (num.cmpn(1) === 0) return a.clone();

    var windowSize = 4;
    var wnd = new Array(1 << windowSize);
    wnd[0] = new BN(1).toRed(this);
    wnd[1] = a;
    for (var i = 2; i < wnd.length; i++) {
      wnd[i] = this.mul(wnd[i - 1], a);
    }

    var res = wnd[0];
    var current = 0;
    var currentLen = 0;
    var start = num.bitLength() % 26;
    if (start === 0) {
      start = 26;
    }

    for (i = num.length - 1; i >= 0; i--) {
      var word = num.words[i];
      for (var j = start - 1; j >= 0; j--) {
        var bit = (word >> j) & 1;
        if (res !== wnd[0]) {
          res = this.sqr(res);
        }

        if (bit === 0 && current === 0) {
          currentLen = 0;
          continue;
        }

        current <<= 1;
        current |= bit;
        currentLen++;
        if (currentLen !== windowSize && (i !== 0 || j !== 0)) continue;

        res = this.mul(res, wnd[current]);
        currentLen = 0;
        current = 0;
      }
      start = 26;
    }

    return res;
  };

  Red.prototype.convertTo = function convertTo (num) {
    var r = num.umod(this.m);

    return r === num ? r.clone() : r;
  };

  Red.prototype.convertFrom = function convertFrom (num) {
    var res = num.clone();
    res.red = null;
    return res;
  };

  //
  // Montgomery method engine
  //

  BN.mont = function mont (num) {
    return new Mont(num);
  };

  function Mont (m) {
    Red.call(this, m);

    this.shift = this.m.bitLength();
    if (this.shift % 26 !== 0) {
      this.shift += 26 - (this.shift % 26);
    }

    this.r = new BN(1).iushln(this.shift);
    this.r2 = this.imod(this.r.sqr());
    this.rinv = this.r._invmp(this.m);

    this.minv = this.rinv.mul(this.r).isubn(1).div(this.m);
    this.minv = this.minv.umod(this.r);
    this.minv = this.r.sub(this.minv);
  }
  inherits(Mont, Red);

  Mont.prototype.convertTo = function convertTo (num) {
    return this.imod(num.ushln(this.shift));
  };

  Mont.prototype.convertFrom = function convertFrom (num) {
    var r = this.imod(num.mul(this.rinv));
    r.red = null;
    return r;
  };

  Mont.prototype.imul = function imul (a, b) {
    if (a.isZero() || b.isZero()) {
      a.words[0] = 0;
      a.length = 1;
      return a;
    }

    var t = a.imul(b);
    var c = t.maskn(this.shift).mul(this.minv).imaskn(this.shift).mul(this.m);
    var u = t.isub(c).iushrn(this.shift);
    var res = u;

    if (u.cmp(this.m) >= 0) {
      res = u.isub(this.m);
    } else if (u.cmpn(0) < 0) {
      res = u.iadd(this.m);
    }

    return res._forceRed(this);
  };

  Mont.prototype.mul = function mul (a, b) {
    if (a.isZero() || b.isZero()) return new BN(0)._forceRed(this);

    var t = a.mul(b);
    var c = t.maskn(this.shift).mul(this.minv).imaskn(this.shift).mul(this.m);
    var u = t.isub(c).iushrn(this.shift);
    var res = u;
    if (u.cmp(this.m) >= 0) {
      res = u.isub(this.m);
    } else if (u.cmpn(0) < 0) {
      res = u.iadd(this.m);
    }

    return res._forceRed(this);
  };

  Mont.prototype.invm = function invm (a) {
    // (AR)^-1 * R^2 = (A^-1 * R^-1) * R^2 = A^-1 * R
    var res = this.imod(a._invmp(this.m).mul(this.r2));
    return res._forceRed(this);
  };
})(typeof module === 'undefined' || module, this);

},{"buffer":19}],17:[function(require,module,exports){
'use strict'

exports.byteLength = byteLength
exports.toByteArray = toByteArray
exports.fromByteArray = fromByteArray

var lookup = []
var revLookup = []
var Arr = typeof Uint8Array !== 'undefined' ? Uint8Array : Array

var code = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
for (var i = 0, len = code.length; i < len; ++i) {
  lookup[i] = code[i]
  revLookup[code.charCodeAt(i)] = i
}

// Support decoding URL-safe base64 strings, as Node.js does.
// See: https://en.wikipedia.org/wiki/Base64#URL_applications
revLookup['-'.charCodeAt(0)] = 62
revLookup['_'.charCodeAt(0)] = 63

function getLens (b64) {
  var len = b64.length

  if (len % 4 > 0) {
    throw new Error('Invalid string. Length must be a multiple of 4')
  }

  // Trim off extra bytes after placeholder bytes are found
  // See: https://github.com/beatgammit/base64-js/issues/42
  var validLen = b64.indexOf('=')
  if (validLen === -1) validLen = len

  var placeHoldersLen = validLen === len
    ? 0
    : 4 - (validLen % 4)

  return [validLen, placeHoldersLen]
}

// base64 is 4/3 + up to two characters of the original data
function byteLength (b64) {
  var lens = getLens(b64)
  var validLen = lens[0]
  var placeHoldersLen = lens[1]
  return ((validLen + placeHoldersLen) * 3 / 4) - placeHoldersLen
}

function _byteLength (b64, validLen, placeHoldersLen) {
  return ((validLen + placeHoldersLen) * 3 / 4) - placeHoldersLen
}

function toByteArray (b64) {
  var tmp
  var lens = getLens(b64)
  var validLen = lens[0]
  var placeHoldersLen = lens[1]

  var arr = new Arr(_byteLength(b64, validLen, placeHoldersLen))

  var curByte = 0

  // if there are placeholders, only get up to the last complete 4 chars
  var len = placeHoldersLen > 0
    ? validLen - 4
    : validLen

  var i
  for (i = 0; i < len; i += 4) {
    tmp =
      (revLookup[b64.charCodeAt(i)] << 18) |
      (revLookup[b64.charCodeAt(i + 1)] << 12) |
      (revLookup[b64.charCodeAt(i + 2)] << 6) |
      revLookup[b64.charCodeAt(i + 3)]
    arr[curByte++] = (tmp >> 16) & 0xFF
    arr[curByte++] = (tmp >> 8) & 0xFF
    arr[curByte++] = tmp & 0xFF
  }

  if (placeHoldersLen === 2) {
    tmp =
      (revLookup[b64.charCodeAt(i)] << 2) |
      (revLookup[b64.charCodeAt(i + 1)] >> 4)
    arr[curByte++] = tmp & 0xFF
  }

  if (placeHoldersLen === 1) {
    tmp =
      (revLookup[b64.charCodeAt(i)] << 10) |
      (revLookup[b64.charCodeAt(i + 1)] << 4) |
      (revLookup[b64.charCodeAt(i + 2)] >> 2)
    arr[curByte++] = (tmp >> 8) & 0xFF
    arr[curByte++] = tmp & 0xFF
  }

  return arr
}

function tripletToBase64 (num) {
  return lookup[num >> 18 & 0x3F] +
    lookup[num >> 12 & 0x3F] +
    lookup[num >> 6 & 0x3F] +
    lookup[num & 0x3F]
}

function encodeChunk (uint8, start, end) {
  var tmp
  var output = []
  for (var i = start; i < end; i += 3) {
    tmp =
      ((uint8[i] << 16) & 0xFF0000) +
      ((uint8[i + 1] << 8) & 0xFF00) +
      (uint8[i + 2] & 0xFF)
    output.push(tripletToBase64(tmp))
  }
  return output.join('')
}

function fromByteArray (uint8) {
  var tmp
  var len = uint8.length
  var extraBytes = len % 3 // if we have 1 byte left, pad 2 bytes
  var parts = []
  var maxChunkLength = 16383 // must be multiple of 3

  // go through the array every three bytes, we'll deal with trailing stuff later
  for (var i = 0, len2 = len - extraBytes; i < len2; i += maxChunkLength) {
    parts.push(encodeChunk(uint8, i, (i + maxChunkLength) > len2 ? len2 : (i + maxChunkLength)))
  }

  // pad the end with zeros, but make sure to not forget the extra bytes
  if (extraBytes === 1) {
    tmp = uint8[len - 1]
    parts.push(
      lookup[tmp >> 2] +
      lookup[(tmp << 4) & 0x3F] +
      '=='
    )
  } else if (extraBytes === 2) {
    tmp = (uint8[len - 2] << 8) + uint8[len - 1]
    parts.push(
      lookup[tmp >> 10] +
      lookup[(tmp >> 4) & 0x3F] +
      lookup[(tmp << 2) & 0x3F] +
      '='
    )
  }

  return parts.join('')
}

},{}],18:[function(require,module,exports){
(function (module, exports) {
  'use strict';

  // Utils
  function assert (val, msg) {
    if (!val) throw new Error(msg || 'Assertion failed');
  }

  // Could use `inherits` module, but don't want to move from single file
  // architecture yet.
  function inherits (ctor, superCtor) {
    ctor.super_ = superCtor;
    var TempCtor = function () {};
    TempCtor.prototype = superCtor.prototype;
    ctor.prototype = new TempCtor();
    ctor.prototype.constructor = ctor;
  }

  // BN

  function BN (number, base, endian) {
    if (BN.isBN(number)) {
      return number;
    }

    this.negative = 0;
    this.words = null;
    this.length = 0;

    // Reduction context
    this.red = null;

    if (number !== null) {
      if (base === 'le' || base === 'be') {
        endian = base;
        base = 10;
      }

      this._init(number || 0, base || 10, endian || 'be');
    }
  }
  if (typeof module === 'object') {
    module.exports = BN;
  } else {
    exports.BN = BN;
  }

  BN.BN = BN;
  BN.wordSize = 26;

  var Buffer;
  try {
    if (typeof window !== 'undefined' && typeof window.Buffer !== 'undefined') {
      Buffer = window.Buffer;
    } else {
      Buffer = require('buffer').Buffer;
    }
  } catch (e) {
  }

  BN.isBN = function isBN (num) {
    if (num instanceof BN) {
      return true;
    }

    return num !== null && typeof num === 'object' &&
      num.constructor.wordSize === BN.wordSize && Array.isArray(num.words);
  };

  BN.max = function max (left, right) {
    if (left.cmp(right) > 0) return left;
    return right;
  };

  BN.min = function min (left, right) {
    if (left.cmp(right) < 0) return left;
    return right;
  };

  BN.prototype._init = function init (number, base, endian) {
    if (typeof number === 'number') {
      return this._initNumber(number, base, endian);
    }

    if (typeof number === 'object') {
      return this._initArray(number, base, endian);
    }

    if (base === 'hex') {
      base = 16;
    }
    assert(base === (base | 0) && base >= 2 && base <= 36);

    number = number.toString().replace(/\s+/g, '');
    var start = 0;
    if (number[0] === '-') {
      start++;
      this.negative = 1;
    }

    if (start < number.length) {
      if (base === 16) {
        this._parseHex(number, start, endian);
      } else {
        this._parseBase(number, base, start);
        if (endian === 'le') {
          this._initArray(this.toArray(), base, endian);
        }
      }
    }
  };

  BN.prototype._initNumber = function _initNumber (number, base, endian) {
    if (number < 0) {
      this.negative = 1;
      number = -number;
    }
    if (number < 0x4000000) {
      this.words = [number & 0x3ffffff];
      this.length = 1;
    } else if (number < 0x10000000000000) {
      this.words = [
        number & 0x3ffffff,
        (number / 0x4000000) & 0x3ffffff
      ];
      this.length = 2;
    } else {
      assert(number < 0x20000000000000); // 2 ^ 53 (unsafe)
      this.words = [
        number & 0x3ffffff,
        (number / 0x4000000) & 0x3ffffff,
        1
      ];
      this.length = 3;
    }

    if (endian !== 'le') return;

    // Reverse the bytes
    this._initArray(this.toArray(), base, endian);
  };

  BN.prototype._initArray = function _initArray (number, base, endian) {
    // Perhaps a Uint8Array
    assert(typeof number.length === 'number');
    if (number.length <= 0) {
      this.words = [0];
      this.length = 1;
      return this;
    }

    this.length = Math.ceil(number.length / 3);
    this.words = new Array(this.length);
    for (var i = 0; i < this.length; i++) {
      this.words[i] = 0;
    }

    var j, w;
    var off = 0;
    if (endian === 'be') {
      for (i = number.length - 1, j = 0; i >= 0; i -= 3) {
        w = number[i] | (number[i - 1] << 8) | (number[i - 2] << 16);
        this.words[j] |= (w << off) & 0x3ffffff;
        this.words[j + 1] = (w >>> (26 - off)) & 0x3ffffff;
        off += 24;
        if (off >= 26) {
          off -= 26;
          j++;
        }
      }
    } else if (endian === 'le') {
      for (i = 0, j = 0; i < number.length; i += 3) {
        w = number[i] | (number[i + 1] << 8) | (number[i + 2] << 16);
        this.words[j] |= (w << off) & 0x3ffffff;
        this.words[j + 1] = (w >>> (26 - off)) & 0x3ffffff;
        off += 24;
        if (off >= 26) {
          off -= 26;
          j++;
        }
      }
    }
    return this._strip();
  };

  function parseHex4Bits (string, index) {
    var c = string.charCodeAt(index);
    // '0' - '9'
    if (c >= 48 && c <= 57) {
      return c - 48;
    // 'A' - 'F'
    } else if (c >= 65 && c <= 70) {
      return c - 55;
    // 'a' - 'f'
    } else if (c >= 97 && c <= 102) {
      return c - 87;
    } else {
      assert(false, 'Invalid character in ' + string);
    }
  }

  function parseHexByte (string, lowerBound, index) {
    var r = parseHex4Bits(string, index);
    if (index - 1 >= lowerBound) {
      r |= parseHex4Bits(string, index - 1) << 4;
    }
    return r;
  }

  BN.prototype._parseHex = function _parseHex (number, start, endian) {
    // Create possibly bigger array to ensure that it fits the number
    this.length = Math.ceil((number.length - start) / 6);
    this.words = new Array(this.length);
    for (var i = 0; i < this.length; i++) {
      this.words[i] = 0;
    }

    // 24-bits chunks
    var off = 0;
    var j = 0;

    var w;
    if (endian === 'be') {
      for (i = number.length - 1; i >= start; i -= 2) {
        w = parseHexByte(number, start, i) << off;
        this.words[j] |= w & 0x3ffffff;
        if (off >= 18) {
          off -= 18;
          j += 1;
          this.words[j] |= w >>> 26;
        } else {
          off += 8;
        }
      }
    } else {
      var parseLength = number.length - start;
      for (i = parseLength % 2 === 0 ? start + 1 : start; i < number.length; i += 2) {
        w = parseHexByte(number, start, i) << off;
        this.words[j] |= w & 0x3ffffff;
        if (off >= 18) {
          off -= 18;
          j += 1;
          this.words[j] |= w >>> 26;
        } else {
          off += 8;
        }
      }
    }

    this._strip();
  };

  function parseBase (str, start, end, mul) {
    var r = 0;
    var b = 0;
    var len = Math.min(str.length, end);
    for (var i = start; i < len; i++) {
      var c = str.charCodeAt(i) - 48;

      r *= mul;

      // 'a'
      if (c >= 49) {
        b = c - 49 + 0xa;

      // 'A'
      } else if (c >= 17) {
        b = c - 17 + 0xa;

      // '0' - '9'
      } else {
        b = c;
      }
      assert(c >= 0 && b < mul, 'Invalid character');
      r += b;
    }
    return r;
  }

  BN.prototype._parseBase = function _parseBase (number, base, start) {
    // Initialize as zero
    this.words = [0];
    this.length = 1;

    // Find length of limb in base
    for (var limbLen = 0, limbPow = 1; limbPow <= 0x3ffffff; limbPow *= base) {
      limbLen++;
    }
    limbLen--;
    limbPow = (limbPow / base) | 0;

    var total = number.length - start;
    var mod = total % limbLen;
    var end = Math.min(total, total - mod) + start;

    var word = 0;
    for (var i = start; i < end; i += limbLen) {
      word = parseBase(number, i, i + limbLen, base);

      this.imuln(limbPow);
      if (this.words[0] + word < 0x4000000) {
        this.words[0] += word;
      } else {
        this._iaddn(word);
      }
    }

    if (mod !== 0) {
      var pow = 1;
      word = parseBase(number, i, number.length, base);

      for (i = 0; i < mod; i++) {
        pow *= base;
      }

      this.imuln(pow);
      if (this.words[0] + word < 0x4000000) {
        this.words[0] += word;
      } else {
        this._iaddn(word);
      }
    }

    this._strip();
  };

  BN.prototype.copy = function copy (dest) {
    dest.words = new Array(this.length);
    for (var i = 0; i < this.length; i++) {
      dest.words[i] = this.words[i];
    }
    dest.length = this.length;
    dest.negative = this.negative;
    dest.red = this.red;
  };

  function move (dest, src) {
    dest.words = src.words;
    dest.length = src.length;
    dest.negative = src.negative;
    dest.red = src.red;
  }

  BN.prototype._move = function _move (dest) {
    move(dest, this);
  };

  BN.prototype.clone = function clone () {
    var r = new BN(null);
    this.copy(r);
    return r;
  };

  BN.prototype._expand = function _expand (size) {
    while (this.length < size) {
      this.words[this.length++] = 0;
    }
    return this;
  };

  // Remove leading `0` from `this`
  BN.prototype._strip = function strip () {
    while (this.length > 1 && this.words[this.length - 1] === 0) {
      this.length--;
    }
    return this._normSign();
  };

  BN.prototype._normSign = function _normSign () {
    // -0 = 0
    if (this.length === 1 && this.words[0] === 0) {
      this.negative = 0;
    }
    return this;
  };

  // Check Symbol.for because not everywhere where Symbol defined
  // See https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Symbol#Browser_compatibility
  if (typeof Symbol !== 'undefined' && typeof Symbol.for === 'function') {
    try {
      BN.prototype[Symbol.for('nodejs.util.inspect.custom')] = inspect;
    } catch (e) {
      BN.prototype.inspect = inspect;
    }
  } else {
    BN.prototype.inspect = inspect;
  }

  function inspect () {
    return (this.red ? '<BN-R: ' : '<BN: ') + this.toString(16) + '>';
  }

  /*

  var zeros = [];
  var groupSizes = [];
  var groupBases = [];

  var s = '';
  var i = -1;
  while (++i < BN.wordSize) {
    zeros[i] = s;
    s += '0';
  }
  groupSizes[0] = 0;
  groupSizes[1] = 0;
  groupBases[0] = 0;
  groupBases[1] = 0;
  var base = 2 - 1;
  while (++base < 36 + 1) {
    var groupSize = 0;
    var groupBase = 1;
    while (groupBase < (1 << BN.wordSize) / base) {
      groupBase *= base;
      groupSize += 1;
    }
    groupSizes[base] = groupSize;
    groupBases[base] = groupBase;
  }

  */

  var zeros = [
    '',
    '0',
    '00',
    '000',
    '0000',
    '00000',
    '000000',
    '0000000',
    '00000000',
    '000000000',
    '0000000000',
    '00000000000',
    '000000000000',
    '0000000000000',
    '00000000000000',
    '000000000000000',
    '0000000000000000',
    '00000000000000000',
    '000000000000000000',
    '0000000000000000000',
    '00000000000000000000',
    '000000000000000000000',
    '0000000000000000000000',
    '00000000000000000000000',
    '000000000000000000000000',
    '0000000000000000000000000'
  ];

  var groupSizes = [
    0, 0,
    25, 16, 12, 11, 10, 9, 8,
    8, 7, 7, 7, 7, 6, 6,
    6, 6, 6, 6, 6, 5, 5,
    5, 5, 5, 5, 5, 5, 5,
    5, 5, 5, 5, 5, 5, 5
  ];

  var groupBases = [
    0, 0,
    33554432, 43046721, 16777216, 48828125, 60466176, 40353607, 16777216,
    43046721, 10000000, 19487171, 35831808, 62748517, 7529536, 11390625,
    16777216, 24137569, 34012224, 47045881, 64000000, 4084101, 5153632,
    6436343, 7962624, 9765625, 11881376, 14348907, 17210368, 20511149,
    24300000, 28629151, 33554432, 39135393, 45435424, 52521875, 60466176
  ];

  BN.prototype.toString = function toString (base, padding) {
    base = base || 10;
    padding = padding | 0 || 1;

    var out;
    if (base === 16 || base === 'hex') {
      out = '';
      var off = 0;
      var carry = 0;
      for (var i = 0; i < this.length; i++) {
        var w = this.words[i];
        var word = (((w << off) | carry) & 0xffffff).toString(16);
        carry = (w >>> (24 - off)) & 0xffffff;
        off += 2;
        if (off >= 26) {
          off -= 26;
          i--;
        }
        if (carry !== 0 || i !== this.length - 1) {
          out = zeros[6 - word.length] + word + out;
        } else {
          out = word + out;
        }
      }
      if (carry !== 0) {
        out = carry.toString(16) + out;
      }
      while (out.length % padding !== 0) {
        out = '0' + out;
      }
      if (this.negative !== 0) {
        out = '-' + out;
      }
      return out;
    }

    if (base === (base | 0) && base >= 2 && base <= 36) {
      // var groupSize = Math.floor(BN.wordSize * Math.LN2 / Math.log(base));
      var groupSize = groupSizes[base];
      // var groupBase = Math.pow(base, groupSize);
      var groupBase = groupBases[base];
      out = '';
      var c = this.clone();
      c.negative = 0;
      while (!c.isZero()) {
        var r = c.modrn(groupBase).toString(base);
        c = c.idivn(groupBase);

        if (!c.isZero()) {
          out = zeros[groupSize - r.length] + r + out;
        } else {
          out = r + out;
        }
      }
      if (this.isZero()) {
        out = '0' + out;
      }
      while (out.length % padding !== 0) {
        out = '0' + out;
      }
      if (this.negative !== 0) {
        out = '-' + out;
      }
      return out;
    }

    assert(false, 'Base should be between 2 and 36');
  };

  BN.prototype.toNumber = function toNumber () {
    var ret = this.words[0];
    if (this.length === 2) {
      ret += this.words[1] * 0x4000000;
    } else if (this.length === 3 && this.words[2] === 0x01) {
      // NOTE: at this stage it is known that the top bit is set
      ret += 0x10000000000000 + (this.words[1] * 0x4000000);
    } else if (this.length > 2) {
      assert(false, 'Number can only safely store up to 53 bits');
    }
    return (this.negative !== 0) ? -ret : ret;
  };

  BN.prototype.toJSON = function toJSON () {
    return this.toString(16, 2);
  };

  if (Buffer) {
    BN.prototype.toBuffer = function toBuffer (endian, length) {
      return this.toArrayLike(Buffer, endian, length);
    };
  }

  BN.prototype.toArray = function toArray (endian, length) {
    return this.toArrayLike(Array, endian, length);
  };

  var allocate = function allocate (ArrayType, size) {
    if (ArrayType.allocUnsafe) {
      return ArrayType.allocUnsafe(size);
    }
    return new ArrayType(size);
  };

  BN.prototype.toArrayLike = function toArrayLike (ArrayType, endian, length) {
    this._strip();

    var byteLength = this.byteLength();
    var reqLength = length || Math.max(1, byteLength);
    assert(byteLength <= reqLength, 'byte array longer than desired length');
    assert(reqLength > 0, 'Requested array length <= 0');

    var res = allocate(ArrayType, reqLength);
    var postfix = endian === 'le' ? 'LE' : 'BE';
    this['_toArrayLike' + postfix](res, byteLength);
    return res;
  };

  BN.prototype._toArrayLikeLE = function _toArrayLikeLE (res, byteLength) {
    var position = 0;
    var carry = 0;

    for (var i = 0, shift = 0; i < this.length; i++) {
      var word = (this.words[i] << shift) | carry;

      res[position++] = word & 0xff;
      if (position < res.length) {
        res[position++] = (word >> 8) & 0xff;
      }
      if (position < res.length) {
        res[position++] = (word >> 16) & 0xff;
      }

      if (shift === 6) {
        if (position < res.length) {
          res[position++] = (word >> 24) & 0xff;
        }
        carry = 0;
        shift = 0;
      } else {
        carry = word >>> 24;
        shift += 2;
      }
    }

    if (position < res.length) {
      res[position++] = carry;

      while (position < res.length) {
        res[position++] = 0;
      }
    }
  };

  BN.prototype._toArrayLikeBE = function _toArrayLikeBE (res, byteLength) {
    var position = res.length - 1;
    var carry = 0;

    for (var i = 0, shift = 0; i < this.length; i++) {
      var word = (this.words[i] << shift) | carry;

      res[position--] = word & 0xff;
      if (position >= 0) {
        res[position--] = (word >> 8) & 0xff;
      }
      if (position >= 0) {
        res[position--] = (word >> 16) & 0xff;
      }

      if (shift === 6) {
        if (position >= 0) {
          res[position--] = (word >> 24) & 0xff;
        }
        carry = 0;
        shift = 0;
      } else {
        carry = word >>> 24;
        shift += 2;
      }
    }

    if (position >= 0) {
      res[position--] = carry;

      while (position >= 0) {
        res[position--] = 0;
      }
    }
  };

  if (Math.clz32) {
    BN.prototype._countBits = function _countBits (w) {
      return 32 - Math.clz32(w);
    };
  } else {
    BN.prototype._countBits = function _countBits (w) {
      var t = w;
      var r = 0;
      if (t >= 0x1000) {
        r += 13;
        t >>>= 13;
      }
      if (t >= 0x40) {
        r += 7;
        t >>>= 7;
      }
      if (t >= 0x8) {
        r += 4;
        t >>>= 4;
      }
      if (t >= 0x02) {
        r += 2;
        t >>>= 2;
      }
      return r + t;
    };
  }

  BN.prototype._zeroBits = function _zeroBits (w) {
    // Short-cut
    if (w === 0) return 26;

    var t = w;
    var r = 0;
    if ((t & 0x1fff) === 0) {
      r += 13;
      t >>>= 13;
    }
    if ((t & 0x7f) === 0) {
      r += 7;
      t >>>= 7;
    }
    if ((t & 0xf) === 0) {
      r += 4;
      t >>>= 4;
    }
    if ((t & 0x3) === 0) {
      r += 2;
      t >>>= 2;
    }
    if ((t & 0x1) === 0) {
      r++;
    }
    return r;
  };

  // Return number of used bits in a BN
  BN.prototype.bitLength = function bitLength () {
    var w = this.words[this.length - 1];
    var hi = this._countBits(w);
    return (this.length - 1) * 26 + hi;
  };

  function toBitArray (num) {
    var w = new Array(num.bitLength());

    for (var bit = 0; bit < w.length; bit++) {
      var off = (bit / 26) | 0;
      var wbit = bit % 26;

      w[bit] = (num.words[off] >>> wbit) & 0x01;
    }

    return w;
  }

  // Number of trailing zero bits
  BN.prototype.zeroBits = function zeroBits () {
    if (this.isZero()) return 0;

    var r = 0;
    for (var i = 0; i < this.length; i++) {
      var b = this._zeroBits(this.words[i]);
      r += b;
      if (b !== 26) break;
    }
    return r;
  };

  BN.prototype.byteLength = function byteLength () {
    return Math.ceil(this.bitLength() / 8);
  };

  BN.prototype.toTwos = function toTwos (width) {
    if (this.negative !== 0) {
      return this.abs().inotn(width).iaddn(1);
    }
    return this.clone();
  };

  BN.prototype.fromTwos = function fromTwos (width) {
    if (this.testn(width - 1)) {
      return this.notn(width).iaddn(1).ineg();
    }
    return this.clone();
  };

  BN.prototype.isNeg = function isNeg () {
    return this.negative !== 0;
  };

  // Return negative clone of `this`
  BN.prototype.neg = function neg () {
    return this.clone().ineg();
  };

  BN.prototype.ineg = function ineg () {
    if (!this.isZero()) {
      this.negative ^= 1;
    }

    return this;
  };

  // Or `num` with `this` in-place
  BN.prototype.iuor = function iuor (num) {
    while (this.length < num.length) {
      this.words[this.length++] = 0;
    }

    for (var i = 0; i < num.length; i++) {
      this.words[i] = this.words[i] | num.words[i];
    }

    return this._strip();
  };

  BN.prototype.ior = function ior (num) {
    assert((this.negative | num.negative) === 0);
    return this.iuor(num);
  };

  // Or `num` with `this`
  BN.prototype.or = function or (num) {
    if (this.length > num.length) return this.clone().ior(num);
    return num.clone().ior(this);
  };

  BN.prototype.uor = function uor (num) {
    if (this.length > num.length) return this.clone().iuor(num);
    return num.clone().iuor(this);
  };

  // And `num` with `this` in-place
  BN.prototype.iuand = function iuand (num) {
    // b = min-length(num, this)
    var b;
    if (this.length > num.length) {
      b = num;
    } else {
      b = this;
    }

    for (var i = 0; i < b.length; i++) {
      this.words[i] = this.words[i] & num.words[i];
    }

    this.length = b.length;

    return this._strip();
  };

  BN.prototype.iand = function iand (num) {
    assert((this.negative | num.negative) === 0);
    return this.iuand(num);
  };

  // And `num` with `this`
  BN.prototype.and = function and (num) {
    if (this.length > num.length) return this.clone().iand(num);
    return num.clone().iand(this);
  };

  BN.prototype.uand = function uand (num) {
    if (this.length > num.length) return this.clone().iuand(num);
    return num.clone().iuand(this);
  };

  // Xor `num` with `this` in-place
  BN.prototype.iuxor = function iuxor (num) {
    // a.length > b.length
    var a;
    var b;
    if (this.length > num.length) {
      a = this;
      b = num;
    } else {
      a = num;
      b = this;
    }

    for (var i = 0; i < b.length; i++) {
      this.words[i] = a.words[i] ^ b.words[i];
    }

    if (this !== a) {
      for (; i < a.length; i++) {
        this.words[i] = a.words[i];
      }
    }

    this.length = a.length;

    return this._strip();
  };

  BN.prototype.ixor = function ixor (num) {
    assert((this.negative | num.negative) === 0);
    return this.iuxor(num);
  };

  // Xor `num` with `this`
  BN.prototype.xor = function xor (num) {
    if (this.length > num.length) return this.clone().ixor(num);
    return num.clone().ixor(this);
  };

  BN.prototype.uxor = function uxor (num) {
    if (this.length > num.length) return this.clone().iuxor(num);
    return num.clone().iuxor(this);
  };

  // Not ``this`` with ``width`` bitwidth
  BN.prototype.inotn = function inotn (width) {
    assert(typeof width === 'number' && width >= 0);

    var bytesNeeded = Math.ceil(width / 26) | 0;
    var bitsLeft = width % 26;

    // Extend the buffer with leading zeroes
    this._expand(bytesNeeded);

    if (bitsLeft > 0) {
      bytesNeeded--;
    }

    // Handle complete words
    for (var i = 0; i < bytesNeeded; i++) {
      this.words[i] = ~this.words[i] & 0x3ffffff;
    }

    // Handle the residue
    if (bitsLeft > 0) {
      this.words[i] = ~this.words[i] & (0x3ffffff >> (26 - bitsLeft));
      i++;
    }

    // Clear words above the requested width so the result stays below 2 ** width
    for (; i < this.length; i++) {
      this.words[i] = 0;
    }

    // And remove leading zeroes
    return this._strip();
  };

  BN.prototype.notn = function notn (width) {
    return this.clone().inotn(width);
  };

  // Set `bit` of `this`
  BN.prototype.setn = function setn (bit, val) {
    assert(typeof bit === 'number' && bit >= 0);

    var off = (bit / 26) | 0;
    var wbit = bit % 26;

    this._expand(off + 1);

    if (val) {
      this.words[off] = this.words[off] | (1 << wbit);
    } else {
      this.words[off] = this.words[off] & ~(1 << wbit);
    }

    return this._strip();
  };

  // Add `num` to `this` in-place
  BN.prototype.iadd = function iadd (num) {
    var r;

    // negative + positive
    if (this.negative !== 0 && num.negative === 0) {
      this.negative = 0;
      r = this.isub(num);
      this.negative ^= 1;
      return this._normSign();

    // positive + negative
    } else if (this.negative === 0 && num.negative !== 0) {
      num.negative = 0;
      r = this.isub(num);
      num.negative = 1;
      return r._normSign();
    }

    // a.length > b.length
    var a, b;
    if (this.length > num.length) {
      a = this;
      b = num;
    } else {
      a = num;
      b = this;
    }

    var carry = 0;
    for (var i = 0; i < b.length; i++) {
      r = (a.words[i] | 0) + (b.words[i] | 0) + carry;
      this.words[i] = r & 0x3ffffff;
      carry = r >>> 26;
    }
    for (; carry !== 0 && i < a.length; i++) {
      r = (a.words[i] | 0) + carry;
      this.words[i] = r & 0x3ffffff;
      carry = r >>> 26;
    }

    this.length = a.length;
    if (carry !== 0) {
      this.words[this.length] = carry;
      this.length++;
    // Copy the rest of the words
    } else if (a !== this) {
      for (; i < a.length; i++) {
        this.words[i] = a.words[i];
      }
    }

    return this;
  };

  // Add `num` to `this`
  BN.prototype.add = function add (num) {
    var res;
    if (num.negative !== 0 && this.negative === 0) {
      num.negative = 0;
      res = this.sub(num);
      num.negative ^= 1;
      return res;
    } else if (num.negative === 0 && this.negative !== 0) {
      this.negative = 0;
      res = num.sub(this);
      this.negative = 1;
      return res;
    }

    if (this.length > num.length) return this.clone().iadd(num);

    return num.clone().iadd(this);
  };

  // Subtract `num` from `this` in-place
  BN.prototype.isub = function isub (num) {
    // this - (-num) = this + num
    if (num.negative !== 0) {
      num.negative = 0;
      var r = this.iadd(num);
      num.negative = 1;
      return r._normSign();

    // -this - num = -(this + num)
    } else if (this.negative !== 0) {
      this.negative = 0;
      this.iadd(num);
      this.negative = 1;
      return this._normSign();
    }

    // At this point both numbers are positive
    var cmp = this.cmp(num);

    // Optimization - zeroify
    if (cmp === 0) {
      this.negative = 0;
      this.length = 1;
      this.words[0] = 0;
      return this;
    }

    // a > b
    var a, b;
    if (cmp > 0) {
      a = this;
      b = num;
    } else {
      a = num;
      b = this;
    }

    var carry = 0;
    for (var i = 0; i < b.length; i++) {
      r = (a.words[i] | 0) - (b.words[i] | 0) + carry;
      carry = r >> 26;
      this.words[i] = r & 0x3ffffff;
    }
    for (; carry !== 0 && i < a.length; i++) {
      r = (a.words[i] | 0) + carry;
      carry = r >> 26;
      this.words[i] = r & 0x3ffffff;
    }

    // Copy rest of the words
    if (carry === 0 && i < a.length && a !== this) {
      for (; i < a.length; i++) {
        this.words[i] = a.words[i];
      }
    }

    this.length = Math.max(this.length, i);

    if (a !== this) {
      this.negative = 1;
    }

    return this._strip();
  };

  // Subtract `num` from `this`
  BN.prototype.sub = function sub (num) {
    return this.clone().isub(num);
  };

  function smallMulTo (self, num, out) {
    out.negative = num.negative ^ self.negative;
    var len = (self.length + num.length) | 0;
    out.length = len;
    len = (len - 1) | 0;

    // Peel one iteration (compiler can't do it, because of code complexity)
    var a = self.words[0] | 0;
    var b = num.words[0] | 0;
    var r = a * b;

    var lo = r & 0x3ffffff;
    var carry = (r / 0x4000000) | 0;
    out.words[0] = lo;

    for (var k = 1; k < len; k++) {
      // Sum all words with the same `i + j = k` and accumulate `ncarry`,
      // note that ncarry could be >= 0x3ffffff
      var ncarry = carry >>> 26;
      var rword = carry & 0x3ffffff;
      var maxJ = Math.min(k, num.length - 1);
      for (var j = Math.max(0, k - self.length + 1); j <= maxJ; j++) {
        var i = (k - j) | 0;
        a = self.words[i] | 0;
        b = num.words[j] | 0;
        r = a * b + rword;
        ncarry += (r / 0x4000000) | 0;
        rword = r & 0x3ffffff;
      }
      out.words[k] = rword | 0;
      carry = ncarry | 0;
    }
    if (carry !== 0) {
      out.words[k] = carry | 0;
    } else {
      out.length--;
    }

    return out._strip();
  }

  // TODO(indutny): it may be reasonable to omit it for users who don't need
  // to work with 256-bit numbers, otherwise it gives 20% improvement for 256-bit
  // multiplication (like elliptic secp256k1).
  var comb10MulTo = function comb10MulTo (self, num, out) {
    var a = self.words;
    var b = num.words;
    var o = out.words;
    var c = 0;
    var lo;
    var mid;
    var hi;
    var a0 = a[0] | 0;
    var al0 = a0 & 0x1fff;
    var ah0 = a0 >>> 13;
    var a1 = a[1] | 0;
    var al1 = a1 & 0x1fff;
    var ah1 = a1 >>> 13;
    var a2 = a[2] | 0;
    var al2 = a2 & 0x1fff;
    var ah2 = a2 >>> 13;
    var a3 = a[3] | 0;
    var al3 = a3 & 0x1fff;
    var ah3 = a3 >>> 13;
    var a4 = a[4] | 0;
    var al4 = a4 & 0x1fff;
    var ah4 = a4 >>> 13;
    var a5 = a[5] | 0;
    var al5 = a5 & 0x1fff;
    var ah5 = a5 >>> 13;
    var a6 = a[6] | 0;
    var al6 = a6 & 0x1fff;
    var ah6 = a6 >>> 13;
    var a7 = a[7] | 0;
    var al7 = a7 & 0x1fff;
    var ah7 = a7 >>> 13;
    var a8 = a[8] | 0;
    var al8 = a8 & 0x1fff;
    var ah8 = a8 >>> 13;
    var a9 = a[9] | 0;
    var al9 = a9 & 0x1fff;
    var ah9 = a9 >>> 13;
    var b0 = b[0] | 0;
    var bl0 = b0 & 0x1fff;
    var bh0 = b0 >>> 13;
    var b1 = b[1] | 0;
    var bl1 = b1 & 0x1fff;
    var bh1 = b1 >>> 13;
    var b2 = b[2] | 0;
    var bl2 = b2 & 0x1fff;
    var bh2 = b2 >>> 13;
    var b3 = b[3] | 0;
    var bl3 = b3 & 0x1fff;
    var bh3 = b3 >>> 13;
    var b4 = b[4] | 0;
    var bl4 = b4 & 0x1fff;
    var bh4 = b4 >>> 13;
    var b5 = b[5] | 0;
    var bl5 = b5 & 0x1fff;
    var bh5 = b5 >>> 13;
    var b6 = b[6] | 0;
    var bl6 = b6 & 0x1fff;
    var bh6 = b6 >>> 13;
    var b7 = b[7] | 0;
    var bl7 = b7 & 0x1fff;
    var bh7 = b7 >>> 13;
    var b8 = b[8] | 0;
    var bl8 = b8 & 0x1fff;
    var bh8 = b8 >>> 13;
    var b9 = b[9] | 0;
    var bl9 = b9 & 0x1fff;
    var bh9 = b9 >>> 13;

    out.negative = self.negative ^ num.negative;
    out.length = 19;
    /* k = 0 */
    lo = Math.imul(al0, bl0);
    mid = Math.imul(al0, bh0);
    mid = (mid + Math.imul(ah0, bl0)) | 0;
    hi = Math.imul(ah0, bh0);
    var w0 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w0 >>> 26)) | 0;
    w0 &= 0x3ffffff;
    /* k = 1 */
    lo = Math.imul(al1, bl0);
    mid = Math.imul(al1, bh0);
    mid = (mid + Math.imul(ah1, bl0)) | 0;
    hi = Math.imul(ah1, bh0);
    lo = (lo + Math.imul(al0, bl1)) | 0;
    mid = (mid + Math.imul(al0, bh1)) | 0;
    mid = (mid + Math.imul(ah0, bl1)) | 0;
    hi = (hi + Math.imul(ah0, bh1)) | 0;
    var w1 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w1 >>> 26)) | 0;
    w1 &= 0x3ffffff;
    /* k = 2 */
    lo = Math.imul(al2, bl0);
    mid = Math.imul(al2, bh0);
    mid = (mid + Math.imul(ah2, bl0)) | 0;
    hi = Math.imul(ah2, bh0);
    lo = (lo + Math.imul(al1, bl1)) | 0;
    mid = (mid + Math.imul(al1, bh1)) | 0;
    mid = (mid + Math.imul(ah1, bl1)) | 0;
    hi = (hi + Math.imul(ah1, bh1)) | 0;
    lo = (lo + Math.imul(al0, bl2)) | 0;
    mid = (mid + Math.imul(al0, bh2)) | 0;
    mid = (mid + Math.imul(ah0, bl2)) | 0;
    hi = (hi + Math.imul(ah0, bh2)) | 0;
    var w2 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w2 >>> 26)) | 0;
    w2 &= 0x3ffffff;
    /* k = 3 */
    lo = Math.imul(al3, bl0);
    mid = Math.imul(al3, bh0);
    mid = (mid + Math.imul(ah3, bl0)) | 0;
    hi = Math.imul(ah3, bh0);
    lo = (lo + Math.imul(al2, bl1)) | 0;
    mid = (mid + Math.imul(al2, bh1)) | 0;
    mid = (mid + Math.imul(ah2, bl1)) | 0;
    hi = (hi + Math.imul(ah2, bh1)) | 0;
    lo = (lo + Math.imul(al1, bl2)) | 0;
    mid = (mid + Math.imul(al1, bh2)) | 0;
    mid = (mid + Math.imul(ah1, bl2)) | 0;
    hi = (hi + Math.imul(ah1, bh2)) | 0;
    lo = (lo + Math.imul(al0, bl3)) | 0;
    mid = (mid + Math.imul(al0, bh3)) | 0;
    mid = (mid + Math.imul(ah0, bl3)) | 0;
    hi = (hi + Math.imul(ah0, bh3)) | 0;
    var w3 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w3 >>> 26)) | 0;
    w3 &= 0x3ffffff;
    /* k = 4 */
    lo = Math.imul(al4, bl0);
    mid = Math.imul(al4, bh0);
    mid = (mid + Math.imul(ah4, bl0)) | 0;
    hi = Math.imul(ah4, bh0);
    lo = (lo + Math.imul(al3, bl1)) | 0;
    mid = (mid + Math.imul(al3, bh1)) | 0;
    mid = (mid + Math.imul(ah3, bl1)) | 0;
    hi = (hi + Math.imul(ah3, bh1)) | 0;
    lo = (lo + Math.imul(al2, bl2)) | 0;
    mid = (mid + Math.imul(al2, bh2)) | 0;
    mid = (mid + Math.imul(ah2, bl2)) | 0;
    hi = (hi + Math.imul(ah2, bh2)) | 0;
    lo = (lo + Math.imul(al1, bl3)) | 0;
    mid = (mid + Math.imul(al1, bh3)) | 0;
    mid = (mid + Math.imul(ah1, bl3)) | 0;
    hi = (hi + Math.imul(ah1, bh3)) | 0;
    lo = (lo + Math.imul(al0, bl4)) | 0;
    mid = (mid + Math.imul(al0, bh4)) | 0;
    mid = (mid + Math.imul(ah0, bl4)) | 0;
    hi = (hi + Math.imul(ah0, bh4)) | 0;
    var w4 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w4 >>> 26)) | 0;
    w4 &= 0x3ffffff;
    /* k = 5 */
    lo = Math.imul(al5, bl0);
    mid = Math.imul(al5, bh0);
    mid = (mid + Math.imul(ah5, bl0)) | 0;
    hi = Math.imul(ah5, bh0);
    lo = (lo + Math.imul(al4, bl1)) | 0;
    mid = (mid + Math.imul(al4, bh1)) | 0;
    mid = (mid + Math.imul(ah4, bl1)) | 0;
    hi = (hi + Math.imul(ah4, bh1)) | 0;
    lo = (lo + Math.imul(al3, bl2)) | 0;
    mid = (mid + Math.imul(al3, bh2)) | 0;
    mid = (mid + Math.imul(ah3, bl2)) | 0;
    hi = (hi + Math.imul(ah3, bh2)) | 0;
    lo = (lo + Math.imul(al2, bl3)) | 0;
    mid = (mid + Math.imul(al2, bh3)) | 0;
    mid = (mid + Math.imul(ah2, bl3)) | 0;
    hi = (hi + Math.imul(ah2, bh3)) | 0;
    lo = (lo + Math.imul(al1, bl4)) | 0;
    mid = (mid + Math.imul(al1, bh4)) | 0;
    mid = (mid + Math.imul(ah1, bl4)) | 0;
    hi = (hi + Math.imul(ah1, bh4)) | 0;
    lo = (lo + Math.imul(al0, bl5)) | 0;
    mid = (mid + Math.imul(al0, bh5)) | 0;
    mid = (mid + Math.imul(ah0, bl5)) | 0;
    hi = (hi + Math.imul(ah0, bh5)) | 0;
    var w5 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w5 >>> 26)) | 0;
    w5 &= 0x3ffffff;
    /* k = 6 */
    lo = Math.imul(al6, bl0);
    mid = Math.imul(al6, bh0);
    mid = (mid + Math.imul(ah6, bl0)) | 0;
    hi = Math.imul(ah6, bh0);
    lo = (lo + Math.imul(al5, bl1)) | 0;
    mid = (mid + Math.imul(al5, bh1)) | 0;
    mid = (mid + Math.imul(ah5, bl1)) | 0;
    hi = (hi + Math.imul(ah5, bh1)) | 0;
    lo = (lo + Math.imul(al4, bl2)) | 0;
    mid = (mid + Math.imul(al4, bh2)) | 0;
    mid = (mid + Math.imul(ah4, bl2)) | 0;
    hi = (hi + Math.imul(ah4, bh2)) | 0;
    lo = (lo + Math.imul(al3, bl3)) | 0;
    mid = (mid + Math.imul(al3, bh3)) | 0;
    mid = (mid + Math.imul(ah3, bl3)) | 0;
    hi = (hi + Math.imul(ah3, bh3)) | 0;
    lo = (lo + Math.imul(al2, bl4)) | 0;
    mid = (mid + Math.imul(al2, bh4)) | 0;
    mid = (mid + Math.imul(ah2, bl4)) | 0;
    hi = (hi + Math.imul(ah2, bh4)) | 0;
    lo = (lo + Math.imul(al1, bl5)) | 0;
    mid = (mid + Math.imul(al1, bh5)) | 0;
    mid = (mid + Math.imul(ah1, bl5)) | 0;
    hi = (hi + Math.imul(ah1, bh5)) | 0;
    lo = (lo + Math.imul(al0, bl6)) | 0;
    mid = (mid + Math.imul(al0, bh6)) | 0;
    mid = (mid + Math.imul(ah0, bl6)) | 0;
    hi = (hi + Math.imul(ah0, bh6)) | 0;
    var w6 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w6 >>> 26)) | 0;
    w6 &= 0x3ffffff;
    /* k = 7 */
    lo = Math.imul(al7, bl0);
    mid = Math.imul(al7, bh0);
    mid = (mid + Math.imul(ah7, bl0)) | 0;
    hi = Math.imul(ah7, bh0);
    lo = (lo + Math.imul(al6, bl1)) | 0;
    mid = (mid + Math.imul(al6, bh1)) | 0;
    mid = (mid + Math.imul(ah6, bl1)) | 0;
    hi = (hi + Math.imul(ah6, bh1)) | 0;
    lo = (lo + Math.imul(al5, bl2)) | 0;
    mid = (mid + Math.imul(al5, bh2)) | 0;
    mid = (mid + Math.imul(ah5, bl2)) | 0;
    hi = (hi + Math.imul(ah5, bh2)) | 0;
    lo = (lo + Math.imul(al4, bl3)) | 0;
    mid = (mid + Math.imul(al4, bh3)) | 0;
    mid = (mid + Math.imul(ah4, bl3)) | 0;
    hi = (hi + Math.imul(ah4, bh3)) | 0;
    lo = (lo + Math.imul(al3, bl4)) | 0;
    mid = (mid + Math.imul(al3, bh4)) | 0;
    mid = (mid + Math.imul(ah3, bl4)) | 0;
    hi = (hi + Math.imul(ah3, bh4)) | 0;
    lo = (lo + Math.imul(al2, bl5)) | 0;
    mid = (mid + Math.imul(al2, bh5)) | 0;
    mid = (mid + Math.imul(ah2, bl5)) | 0;
    hi = (hi + Math.imul(ah2, bh5)) | 0;
    lo = (lo + Math.imul(al1, bl6)) | 0;
    mid = (mid + Math.imul(al1, bh6)) | 0;
    mid = (mid + Math.imul(ah1, bl6)) | 0;
    hi = (hi + Math.imul(ah1, bh6)) | 0;
    lo = (lo + Math.imul(al0, bl7)) | 0;
    mid = (mid + Math.imul(al0, bh7)) | 0;
    mid = (mid + Math.imul(ah0, bl7)) | 0;
    hi = (hi + Math.imul(ah0, bh7)) | 0;
    var w7 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w7 >>> 26)) | 0;
    w7 &= 0x3ffffff;
    /* k = 8 */
    lo = Math.imul(al8, bl0);
    mid = Math.imul(al8, bh0);
    mid = (mid + Math.imul(ah8, bl0)) | 0;
    hi = Math.imul(ah8, bh0);
    lo = (lo + Math.imul(al7, bl1)) | 0;
    mid = (mid + Math.imul(al7, bh1)) | 0;
    mid = (mid + Math.imul(ah7, bl1)) | 0;
    hi = (hi + Math.imul(ah7, bh1)) | 0;
    lo = (lo + Math.imul(al6, bl2)) | 0;
    mid = (mid + Math.imul(al6, bh2)) | 0;
    mid = (mid + Math.imul(ah6, bl2)) | 0;
    hi = (hi + Math.imul(ah6, bh2)) | 0;
    lo = (lo + Math.imul(al5, bl3)) | 0;
    mid = (mid + Math.imul(al5, bh3)) | 0;
    mid = (mid + Math.imul(ah5, bl3)) | 0;
    hi = (hi + Math.imul(ah5, bh3)) | 0;
    lo = (lo + Math.imul(al4, bl4)) | 0;
    mid = (mid + Math.imul(al4, bh4)) | 0;
    mid = (mid + Math.imul(ah4, bl4)) | 0;
    hi = (hi + Math.imul(ah4, bh4)) | 0;
    lo = (lo + Math.imul(al3, bl5)) | 0;
    mid = (mid + Math.imul(al3, bh5)) | 0;
    mid = (mid + Math.imul(ah3, bl5)) | 0;
    hi = (hi + Math.imul(ah3, bh5)) | 0;
    lo = (lo + Math.imul(al2, bl6)) | 0;
    mid = (mid + Math.imul(al2, bh6)) | 0;
    mid = (mid + Math.imul(ah2, bl6)) | 0;
    hi = (hi + Math.imul(ah2, bh6)) | 0;
    lo = (lo + Math.imul(al1, bl7)) | 0;
    mid = (mid + Math.imul(al1, bh7)) | 0;
    mid = (mid + Math.imul(ah1, bl7)) | 0;
    hi = (hi + Math.imul(ah1, bh7)) | 0;
    lo = (lo + Math.imul(al0, bl8)) | 0;
    mid = (mid + Math.imul(al0, bh8)) | 0;
    mid = (mid + Math.imul(ah0, bl8)) | 0;
    hi = (hi + Math.imul(ah0, bh8)) | 0;
    var w8 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w8 >>> 26)) | 0;
    w8 &= 0x3ffffff;
    /* k = 9 */
    lo = Math.imul(al9, bl0);
    mid = Math.imul(al9, bh0);
    mid = (mid + Math.imul(ah9, bl0)) | 0;
    hi = Math.imul(ah9, bh0);
    lo = (lo + Math.imul(al8, bl1)) | 0;
    mid = (mid + Math.imul(al8, bh1)) | 0;
    mid = (mid + Math.imul(ah8, bl1)) | 0;
    hi = (hi + Math.imul(ah8, bh1)) | 0;
    lo = (lo + Math.imul(al7, bl2)) | 0;
    mid = (mid + Math.imul(al7, bh2)) | 0;
    mid = (mid + Math.imul(ah7, bl2)) | 0;
    hi = (hi + Math.imul(ah7, bh2)) | 0;
    lo = (lo + Math.imul(al6, bl3)) | 0;
    mid = (mid + Math.imul(al6, bh3)) | 0;
    mid = (mid + Math.imul(ah6, bl3)) | 0;
    hi = (hi + Math.imul(ah6, bh3)) | 0;
    lo = (lo + Math.imul(al5, bl4)) | 0;
    mid = (mid + Math.imul(al5, bh4)) | 0;
    mid = (mid + Math.imul(ah5, bl4)) | 0;
    hi = (hi + Math.imul(ah5, bh4)) | 0;
    lo = (lo + Math.imul(al4, bl5)) | 0;
    mid = (mid + Math.imul(al4, bh5)) | 0;
    mid = (mid + Math.imul(ah4, bl5)) | 0;
    hi = (hi + Math.imul(ah4, bh5)) | 0;
    lo = (lo + Math.imul(al3, bl6)) | 0;
    mid = (mid + Math.imul(al3, bh6)) | 0;
    mid = (mid + Math.imul(ah3, bl6)) | 0;
    hi = (hi + Math.imul(ah3, bh6)) | 0;
    lo = (lo + Math.imul(al2, bl7)) | 0;
    mid = (mid + Math.imul(al2, bh7)) | 0;
    mid = (mid + Math.imul(ah2, bl7)) | 0;
    hi = (hi + Math.imul(ah2, bh7)) | 0;
    lo = (lo + Math.imul(al1, bl8)) | 0;
    mid = (mid + Math.imul(al1, bh8)) | 0;
    mid = (mid + Math.imul(ah1, bl8)) | 0;
    hi = (hi + Math.imul(ah1, bh8)) | 0;
    lo = (lo + Math.imul(al0, bl9)) | 0;
    mid = (mid + Math.imul(al0, bh9)) | 0;
    mid = (mid + Math.imul(ah0, bl9)) | 0;
    hi = (hi + Math.imul(ah0, bh9)) | 0;
    var w9 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w9 >>> 26)) | 0;
    w9 &= 0x3ffffff;
    /* k = 10 */
    lo = Math.imul(al9, bl1);
    mid = Math.imul(al9, bh1);
    mid = (mid + Math.imul(ah9, bl1)) | 0;
    hi = Math.imul(ah9, bh1);
    lo = (lo + Math.imul(al8, bl2)) | 0;
    mid = (mid + Math.imul(al8, bh2)) | 0;
    mid = (mid + Math.imul(ah8, bl2)) | 0;
    hi = (hi + Math.imul(ah8, bh2)) | 0;
    lo = (lo + Math.imul(al7, bl3)) | 0;
    mid = (mid + Math.imul(al7, bh3)) | 0;
    mid = (mid + Math.imul(ah7, bl3)) | 0;
    hi = (hi + Math.imul(ah7, bh3)) | 0;
    lo = (lo + Math.imul(al6, bl4)) | 0;
    mid = (mid + Math.imul(al6, bh4)) | 0;
    mid = (mid + Math.imul(ah6, bl4)) | 0;
    hi = (hi + Math.imul(ah6, bh4)) | 0;
    lo = (lo + Math.imul(al5, bl5)) | 0;
    mid = (mid + Math.imul(al5, bh5)) | 0;
    mid = (mid + Math.imul(ah5, bl5)) | 0;
    hi = (hi + Math.imul(ah5, bh5)) | 0;
    lo = (lo + Math.imul(al4, bl6)) | 0;
    mid = (mid + Math.imul(al4, bh6)) | 0;
    mid = (mid + Math.imul(ah4, bl6)) | 0;
    hi = (hi + Math.imul(ah4, bh6)) | 0;
    lo = (lo + Math.imul(al3, bl7)) | 0;
    mid = (mid + Math.imul(al3, bh7)) | 0;
    mid = (mid + Math.imul(ah3, bl7)) | 0;
    hi = (hi + Math.imul(ah3, bh7)) | 0;
    lo = (lo + Math.imul(al2, bl8)) | 0;
    mid = (mid + Math.imul(al2, bh8)) | 0;
    mid = (mid + Math.imul(ah2, bl8)) | 0;
    hi = (hi + Math.imul(ah2, bh8)) | 0;
    lo = (lo + Math.imul(al1, bl9)) | 0;
    mid = (mid + Math.imul(al1, bh9)) | 0;
    mid = (mid + Math.imul(ah1, bl9)) | 0;
    hi = (hi + Math.imul(ah1, bh9)) | 0;
    var w10 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w10 >>> 26)) | 0;
    w10 &= 0x3ffffff;
    /* k = 11 */
    lo = Math.imul(al9, bl2);
    mid = Math.imul(al9, bh2);
    mid = (mid + Math.imul(ah9, bl2)) | 0;
    hi = Math.imul(ah9, bh2);
    lo = (lo + Math.imul(al8, bl3)) | 0;
    mid = (mid + Math.imul(al8, bh3)) | 0;
    mid = (mid + Math.imul(ah8, bl3)) | 0;
    hi = (hi + Math.imul(ah8, bh3)) | 0;
    lo = (lo + Math.imul(al7, bl4)) | 0;
    mid = (mid + Math.imul(al7, bh4)) | 0;
    mid = (mid + Math.imul(ah7, bl4)) | 0;
    hi = (hi + Math.imul(ah7, bh4)) | 0;
    lo = (lo + Math.imul(al6, bl5)) | 0;
    mid = (mid + Math.imul(al6, bh5)) | 0;
    mid = (mid + Math.imul(ah6, bl5)) | 0;
    hi = (hi + Math.imul(ah6, bh5)) | 0;
    lo = (lo + Math.imul(al5, bl6)) | 0;
    mid = (mid + Math.imul(al5, bh6)) | 0;
    mid = (mid + Math.imul(ah5, bl6)) | 0;
    hi = (hi + Math.imul(ah5, bh6)) | 0;
    lo = (lo + Math.imul(al4, bl7)) | 0;
    mid = (mid + Math.imul(al4, bh7)) | 0;
    mid = (mid + Math.imul(ah4, bl7)) | 0;
    hi = (hi + Math.imul(ah4, bh7)) | 0;
    lo = (lo + Math.imul(al3, bl8)) | 0;
    mid = (mid + Math.imul(al3, bh8)) | 0;
    mid = (mid + Math.imul(ah3, bl8)) | 0;
    hi = (hi + Math.imul(ah3, bh8)) | 0;
    lo = (lo + Math.imul(al2, bl9)) | 0;
    mid = (mid + Math.imul(al2, bh9)) | 0;
    mid = (mid + Math.imul(ah2, bl9)) | 0;
    hi = (hi + Math.imul(ah2, bh9)) | 0;
    var w11 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w11 >>> 26)) | 0;
    w11 &= 0x3ffffff;
    /* k = 12 */
    lo = Math.imul(al9, bl3);
    mid = Math.imul(al9, bh3);
    mid = (mid + Math.imul(ah9, bl3)) | 0;
    hi = Math.imul(ah9, bh3);
    lo = (lo + Math.imul(al8, bl4)) | 0;
    mid = (mid + Math.imul(al8, bh4)) | 0;
    mid = (mid + Math.imul(ah8, bl4)) | 0;
    hi = (hi + Math.imul(ah8, bh4)) | 0;
    lo = (lo + Math.imul(al7, bl5)) | 0;
    mid = (mid + Math.imul(al7, bh5)) | 0;
    mid = (mid + Math.imul(ah7, bl5)) | 0;
    hi = (hi + Math.imul(ah7, bh5)) | 0;
    lo = (lo + Math.imul(al6, bl6)) | 0;
    mid = (mid + Math.imul(al6, bh6)) | 0;
    mid = (mid + Math.imul(ah6, bl6)) | 0;
    hi = (hi + Math.imul(ah6, bh6)) | 0;
    lo = (lo + Math.imul(al5, bl7)) | 0;
    mid = (mid + Math.imul(al5, bh7)) | 0;
    mid = (mid + Math.imul(ah5, bl7)) | 0;
    hi = (hi + Math.imul(ah5, bh7)) | 0;
    lo = (lo + Math.imul(al4, bl8)) | 0;
    mid = (mid + Math.imul(al4, bh8)) | 0;
    mid = (mid + Math.imul(ah4, bl8)) | 0;
    hi = (hi + Math.imul(ah4, bh8)) | 0;
    lo = (lo + Math.imul(al3, bl9)) | 0;
    mid = (mid + Math.imul(al3, bh9)) | 0;
    mid = (mid + Math.imul(ah3, bl9)) | 0;
    hi = (hi + Math.imul(ah3, bh9)) | 0;
    var w12 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w12 >>> 26)) | 0;
    w12 &= 0x3ffffff;
    /* k = 13 */
    lo = Math.imul(al9, bl4);
    mid = Math.imul(al9, bh4);
    mid = (mid + Math.imul(ah9, bl4)) | 0;
    hi = Math.imul(ah9, bh4);
    lo = (lo + Math.imul(al8, bl5)) | 0;
    mid = (mid + Math.imul(al8, bh5)) | 0;
    mid = (mid + Math.imul(ah8, bl5)) | 0;
    hi = (hi + Math.imul(ah8, bh5)) | 0;
    lo = (lo + Math.imul(al7, bl6)) | 0;
    mid = (mid + Math.imul(al7, bh6)) | 0;
    mid = (mid + Math.imul(ah7, bl6)) | 0;
    hi = (hi + Math.imul(ah7, bh6)) | 0;
    lo = (lo + Math.imul(al6, bl7)) | 0;
    mid = (mid + Math.imul(al6, bh7)) | 0;
    mid = (mid + Math.imul(ah6, bl7)) | 0;
    hi = (hi + Math.imul(ah6, bh7)) | 0;
    lo = (lo + Math.imul(al5, bl8)) | 0;
    mid = (mid + Math.imul(al5, bh8)) | 0;
    mid = (mid + Math.imul(ah5, bl8)) | 0;
    hi = (hi + Math.imul(ah5, bh8)) | 0;
    lo = (lo + Math.imul(al4, bl9)) | 0;
    mid = (mid + Math.imul(al4, bh9)) | 0;
    mid = (mid + Math.imul(ah4, bl9)) | 0;
    hi = (hi + Math.imul(ah4, bh9)) | 0;
    var w13 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w13 >>> 26)) | 0;
    w13 &= 0x3ffffff;
    /* k = 14 */
    lo = Math.imul(al9, bl5);
    mid = Math.imul(al9, bh5);
    mid = (mid + Math.imul(ah9, bl5)) | 0;
    hi = Math.imul(ah9, bh5);
    lo = (lo + Math.imul(al8, bl6)) | 0;
    mid = (mid + Math.imul(al8, bh6)) | 0;
    mid = (mid + Math.imul(ah8, bl6)) | 0;
    hi = (hi + Math.imul(ah8, bh6)) | 0;
    lo = (lo + Math.imul(al7, bl7)) | 0;
    mid = (mid + Math.imul(al7, bh7)) | 0;
    mid = (mid + Math.imul(ah7, bl7)) | 0;
    hi = (hi + Math.imul(ah7, bh7)) | 0;
    lo = (lo + Math.imul(al6, bl8)) | 0;
    mid = (mid + Math.imul(al6, bh8)) | 0;
    mid = (mid + Math.imul(ah6, bl8)) | 0;
    hi = (hi + Math.imul(ah6, bh8)) | 0;
    lo = (lo + Math.imul(al5, bl9)) | 0;
    mid = (mid + Math.imul(al5, bh9)) | 0;
    mid = (mid + Math.imul(ah5, bl9)) | 0;
    hi = (hi + Math.imul(ah5, bh9)) | 0;
    var w14 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w14 >>> 26)) | 0;
    w14 &= 0x3ffffff;
    /* k = 15 */
    lo = Math.imul(al9, bl6);
    mid = Math.imul(al9, bh6);
    mid = (mid + Math.imul(ah9, bl6)) | 0;
    hi = Math.imul(ah9, bh6);
    lo = (lo + Math.imul(al8, bl7)) | 0;
    mid = (mid + Math.imul(al8, bh7)) | 0;
    mid = (mid + Math.imul(ah8, bl7)) | 0;
    hi = (hi + Math.imul(ah8, bh7)) | 0;
    lo = (lo + Math.imul(al7, bl8)) | 0;
    mid = (mid + Math.imul(al7, bh8)) | 0;
    mid = (mid + Math.imul(ah7, bl8)) | 0;
    hi = (hi + Math.imul(ah7, bh8)) | 0;
    lo = (lo + Math.imul(al6, bl9)) | 0;
    mid = (mid + Math.imul(al6, bh9)) | 0;
    mid = (mid + Math.imul(ah6, bl9)) | 0;
    hi = (hi + Math.imul(ah6, bh9)) | 0;
    var w15 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w15 >>> 26)) | 0;
    w15 &= 0x3ffffff;
    /* k = 16 */
    lo = Math.imul(al9, bl7);
    mid = Math.imul(al9, bh7);
    mid = (mid + Math.imul(ah9, bl7)) | 0;
    hi = Math.imul(ah9, bh7);
    lo = (lo + Math.imul(al8, bl8)) | 0;
    mid = (mid + Math.imul(al8, bh8)) | 0;
    mid = (mid + Math.imul(ah8, bl8)) | 0;
    hi = (hi + Math.imul(ah8, bh8)) | 0;
    lo = (lo + Math.imul(al7, bl9)) | 0;
    mid = (mid + Math.imul(al7, bh9)) | 0;
    mid = (mid + Math.imul(ah7, bl9)) | 0;
    hi = (hi + Math.imul(ah7, bh9)) | 0;
    var w16 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w16 >>> 26)) | 0;
    w16 &= 0x3ffffff;
    /* k = 17 */
    lo = Math.imul(al9, bl8);
    mid = Math.imul(al9, bh8);
    mid = (mid + Math.imul(ah9, bl8)) | 0;
    hi = Math.imul(ah9, bh8);
    lo = (lo + Math.imul(al8, bl9)) | 0;
    mid = (mid + Math.imul(al8, bh9)) | 0;
    mid = (mid + Math.imul(ah8, bl9)) | 0;
    hi = (hi + Math.imul(ah8, bh9)) | 0;
    var w17 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w17 >>> 26)) | 0;
    w17 &= 0x3ffffff;
    /* k = 18 */
    lo = Math.imul(al9, bl9);
    mid = Math.imul(al9, bh9);
    mid = (mid + Math.imul(ah9, bl9)) | 0;
    hi = Math.imul(ah9, bh9);
    var w18 = (((c + lo) | 0) + ((mid & 0x1fff) << 13)) | 0;
    c = (((hi + (mid >>> 13)) | 0) + (w18 >>> 26)) | 0;
    w18 &= 0x3ffffff;
    o[0] = w0;
    o[1] = w1;
    o[2] = w2;
    o[3] = w3;
    o[4] = w4;
    o[5] = w5;
    o[6] = w6;
    o[7] = w7;
    o[8] = w8;
    o[9] = w9;
    o[10] = w10;
    o[11] = w11;
    o[12] = w12;
    o[13] = w13;
    o[14] = w14;
    o[15] = w15;
    o[16] = w16;
    o[17] = w17;
    o[18] = w18;
    if (c !== 0) {
      o[19] = c;
      out.length++;
    }
    return out;
  };

  // Polyfill comb
  if (!Math.imul) {
    comb10MulTo = smallMulTo;
  }

  function bigMulTo (self, num, out) {
    out.negative = num.negative ^ self.negative;
    out.length = self.length + num.length;

    var carry = 0;
    var hncarry = 0;
    for (var k = 0; k < out.length - 1; k++) {
      // Sum all words with the same `i + j = k` and accumulate `ncarry`,
      // note that ncarry could be >= 0x3ffffff
      var ncarry = hncarry;
      hncarry = 0;
      var rword = carry & 0x3ffffff;
      var maxJ = Math.min(k, num.length - 1);
      for (var j = Math.max(0, k - self.length + 1); j <= maxJ; j++) {
        var i = k - j;
        var a = self.words[i] | 0;
        var b = num.words[j] | 0;
        var r = a * b;

        var lo = r & 0x3ffffff;
        ncarry = (ncarry + ((r / 0x4000000) | 0)) | 0;
        lo = (lo + rword) | 0;
        rword = lo & 0x3ffffff;
        ncarry = (ncarry + (lo >>> 26)) | 0;

        hncarry += ncarry >>> 26;
        ncarry &= 0x3ffffff;
      }
      out.words[k] = rword;
      carry = ncarry;
      ncarry = hncarry;
    }
    if (carry !== 0) {
      out.words[k] = carry;
    } else {
      out.length--;
    }

    return out._strip();
  }

  function jumboMulTo (self, num, out) {
    // Temporary disable, see https://github.com/indutny/bn.js/issues/211
    // var fftm = new FFTM();
    // return fftm.mulp(self, num, out);
    return bigMulTo(self, num, out);
  }

  BN.prototype.mulTo = function mulTo (num, out) {
    var res;
    var len = this.length + num.length;
    if (this.length === 10 && num.length === 10) {
      res = comb10MulTo(this, num, out);
    } else if (len < 63) {
      res = smallMulTo(this, num, out);
    } else if (len < 1024) {
      res = bigMulTo(this, num, out);
    } else {
      res = jumboMulTo(this, num, out);
    }

    return res;
  };

  // Cooley-Tukey algorithm for FFT
  // slightly revisited to rely on looping instead of recursion

  function FFTM (x, y) {
    this.x = x;
    this.y = y;
  }

  FFTM.prototype.makeRBT = function makeRBT (N) {
    var t = new Array(N);
    var l = BN.prototype._countBits(N) - 1;
    for (var i = 0; i < N; i++) {
      t[i] = this.revBin(i, l, N);
    }

    return t;
  };

  // Returns binary-reversed representation of `x`
  FFTM.prototype.revBin = function revBin (x, l, N) {
    if (x === 0 || x === N - 1) return x;

    var rb = 0;
    for (var i = 0; i < l; i++) {
      rb |= (x & 1) << (l - i - 1);
      x >>= 1;
    }

    return rb;
  };

  // Performs "tweedling" phase, therefore 'emulating'
  // behaviour of the recursive algorithm
  FFTM.prototype.permute = function permute (rbt, rws, iws, rtws, itws, N) {
    for (var i = 0; i < N; i++) {
      rtws[i] = rws[rbt[i]];
      itws[i] = iws[rbt[i]];
    }
  };

  FFTM.prototype.transform = function transform (rws, iws, rtws, itws, N, rbt) {
    this.permute(rbt, rws, iws, rtws, itws, N);

    for (var s = 1; s < N; s <<= 1) {
      var l = s << 1;

      var rtwdf = Math.cos(2 * Math.PI / l);
      var itwdf = Math.sin(2 * Math.PI / l);

      for (var p = 0; p < N; p += l) {
        var rtwdf_ = rtwdf;
        var itwdf_ = itwdf;

        for (var j = 0; j < s; j++) {
          var re = rtws[p + j];
          var ie = itws[p + j];

          var ro = rtws[p + j + s];
          var io = itws[p + j + s];

          var rx = rtwdf_ * ro - itwdf_ * io;

          io = rtwdf_ * io + itwdf_ * ro;
          ro = rx;

          rtws[p + j] = re + ro;
          itws[p + j] = ie + io;

          rtws[p + j + s] = re - ro;
          itws[p + j + s] = ie - io;

          /* jshint maxdepth : false */
          if (j !== l) {
            rx = rtwdf * rtwdf_ - itwdf * itwdf_;

            itwdf_ = rtwdf * itwdf_ + itwdf * rtwdf_;
            rtwdf_ = rx;
          }
        }
      }
    }
  };

  FFTM.prototype.guessLen13b = function guessLen13b (n, m) {
    var N = Math.max(m, n) | 1;
    var odd = N & 1;
    var i = 0;
    for (N = N / 2 | 0; N; N = N >>> 1) {
      i++;
    }

    return 1 << i + 1 + odd;
  };

  FFTM.prototype.conjugate = function conjugate (rws, iws, N) {
    if (N <= 1) return;

    for (var i = 0; i < N / 2; i++) {
      var t = rws[i];

      rws[i] = rws[N - i - 1];
      rws[N - i - 1] = t;

      t = iws[i];

      iws[i] = -iws[N - i - 1];
      iws[N - i - 1] = -t;
    }
  };

  FFTM.prototype.normalize13b = function normalize13b (ws, N) {
    var carry = 0;
    for (var i = 0; i < N / 2; i++) {
      var w = Math.round(ws[2 * i + 1] / N) * 0x2000 +
        Math.round(ws[2 * i] / N) +
        carry;

      ws[i] = w & 0x3ffffff;

      if (w < 0x4000000) {
        carry = 0;
      } else {
        carry = w / 0x4000000 | 0;
      }
    }

    return ws;
  };

  FFTM.prototype.convert13b = function convert13b (ws, len, rws, N) {
    var carry = 0;
    for (var i = 0; i < len; i++) {
      carry = carry + (ws[i] | 0);

      rws[2 * i] = carry & 0x1fff; carry = carry >>> 13;
      rws[2 * i + 1] = carry & 0x1fff; carry = carry >>> 13;
    }

    // Pad with zeroes
    for (i = 2 * len; i < N; ++i) {
      rws[i] = 0;
    }

    assert(carry === 0);
    assert((carry & ~0x1fff) === 0);
  };

  FFTM.prototype.stub = function stub (N) {
    var ph = new Array(N);
    for (var i = 0; i < N; i++) {
      ph[i] = 0;
    }

    return ph;
  };

  FFTM.prototype.mulp = function mulp (x, y, out) {
    var N = 2 * this.guessLen13b(x.length, y.length);

    var rbt = this.makeRBT(N);

    var _ = this.stub(N);

    var rws = new Array(N);
    var rwst = new Array(N);
    var iwst = new Array(N);

    var nrws = new Array(N);
    var nrwst = new Array(N);
    var niwst = new Array(N);

    var rmws = out.words;
    rmws.length = N;

    this.convert13b(x.words, x.length, rws, N);
    this.convert13b(y.words, y.length, nrws, N);

    this.transform(rws, _, rwst, iwst, N, rbt);
    this.transform(nrws, _, nrwst, niwst, N, rbt);

    for (var i = 0; i < N; i++) {
      var rx = rwst[i] * nrwst[i] - iwst[i] * niwst[i];
      iwst[i] = rwst[i] * niwst[i] + iwst[i] * nrwst[i];
      rwst[i] = rx;
    }

    this.conjugate(rwst, iwst, N);
    this.transform(rwst, iwst, rmws, _, N, rbt);
    this.conjugate(rmws, _, N);
    this.normalize13b(rmws, N);

    out.negative = x.negative ^ y.negative;
    out.length = x.length + y.length;
    return out._strip();
  };

  // Multiply `this` by `num`
  BN.prototype.mul = function mul (num) {
    var out = new BN(null);
    out.words = new Array(this.length + num.length);
    return this.mulTo(num, out);
  };

  // Multiply employing FFT
  BN.prototype.mulf = function mulf (num) {
    var out = new BN(null);
    out.words = new Array(this.length + num.length);
    return jumboMulTo(this, num, out);
  };

  // In-place Multiplication
  BN.prototype.imul = function imul (num) {
    return this.clone().mulTo(num, this);
  };

  BN.prototype.imuln = function imuln (num) {
    var isNegNum = num < 0;
    if (isNegNum) num = -num;

    assert(typeof num === 'number');
    assert(num < 0x4000000);

    // Carry
    var carry = 0;
    for (var i = 0; i < this.length; i++) {
      var w = (this.words[i] | 0) * num;
      var lo = (w & 0x3ffffff) + (carry & 0x3ffffff);
      carry >>= 26;
      carry += (w / 0x4000000) | 0;
      // NOTE: lo is 27bit maximum
      carry += lo >>> 26;
      this.words[i] = lo & 0x3ffffff;
    }

    if (carry !== 0) {
      this.words[i] = carry;
      this.length++;
    }
    if (num === 0) {
      this.length = 1;
      this._normSign();
    }

    return isNegNum ? this.ineg() : this;
  };

  BN.prototype.muln = function muln (num) {
    return this.clone().imuln(num);
  };

  // `this` * `this`
  BN.prototype.sqr = function sqr () {
    return this.mul(this);
  };

  // `this` * `this` in-place
  BN.prototype.isqr = function isqr () {
    return this.imul(this.clone());
  };

  // Math.pow(`this`, `num`)
  BN.prototype.pow = function pow (num) {
    var w = toBitArray(num);
    if (w.length === 0) return new BN(1);

    // Skip leading zeroes
    var res = this;
    for (var i = 0; i < w.length; i++, res = res.sqr()) {
      if (w[i] !== 0) break;
    }

    if (++i < w.length) {
      for (var q = res.sqr(); i < w.length; i++, q = q.sqr()) {
        if (w[i] === 0) continue;

        res = res.mul(q);
      }
    }

    return res;
  };

  // Shift-left in-place
  BN.prototype.iushln = function iushln (bits) {
    assert(typeof bits === 'number' && bits >= 0);
    var r = bits % 26;
    var s = (bits - r) / 26;
    var carryMask = (0x3ffffff >>> (26 - r)) << (26 - r);
    var i;

    if (r !== 0) {
      var carry = 0;

      for (i = 0; i < this.length; i++) {
        var newCarry = this.words[i] & carryMask;
        var c = ((this.words[i] | 0) - newCarry) << r;
        this.words[i] = c | carry;
        carry = newCarry >>> (26 - r);
      }

      if (carry) {
        this.words[i] = carry;
        this.length++;
      }
    }

    if (s !== 0) {
      for (i = this.length - 1; i >= 0; i--) {
        this.words[i + s] = this.words[i];
      }

      for (i = 0; i < s; i++) {
        this.words[i] = 0;
      }

      this.length += s;
    }

    return this._strip();
  };

  BN.prototype.ishln = function ishln (bits) {
    // TODO(indutny): implement me
    assert(this.negative === 0);
    return this.iushln(bits);
  };

  // Shift-right in-place
  // NOTE: `hint` is a lowest bit before trailing zeroes
  // NOTE: if `extended` is present - it will be filled with destroyed bits
  BN.prototype.iushrn = function iushrn (bits, hint, extended) {
    assert(typeof bits === 'number' && bits >= 0);
    var h;
    if (hint) {
      h = (hint - (hint % 26)) / 26;
    } else {
      h = 0;
    }

    var r = bits % 26;
    var s = Math.min((bits - r) / 26, this.length);
    var mask = 0x3ffffff ^ ((0x3ffffff >>> r) << r);
    var maskedWords = extended;

    h -= s;
    h = Math.max(0, h);

    // Extended mode, copy masked part
    if (maskedWords) {
      for (var i = 0; i < s; i++) {
        maskedWords.words[i] = this.words[i];
      }
      maskedWords.length = s;
    }

    if (s === 0) {
      // No-op, we should not move anything at all
    } else if (this.length > s) {
      this.length -= s;
      for (i = 0; i < this.length; i++) {
        this.words[i] = this.words[i + s];
      }
    } else {
      this.words[0] = 0;
      this.length = 1;
    }

    var carry = 0;
    for (i = this.length - 1; i >= 0 && (carry !== 0 || i >= h); i--) {
      var word = this.words[i] | 0;
      this.words[i] = (carry << (26 - r)) | (word >>> r);
      carry = word & mask;
    }

    // Push carried bits as a mask
    if (maskedWords && carry !== 0) {
      maskedWords.words[maskedWords.length++] = carry;
    }

    if (this.length === 0) {
      this.words[0] = 0;
      this.length = 1;
    }

    return this._strip();
  };

  BN.prototype.ishrn = function ishrn (bits, hint, extended) {
    // TODO(indutny): implement me
    assert(this.negative === 0);
    return this.iushrn(bits, hint, extended);
  };

  // Shift-left
  BN.prototype.shln = function shln (bits) {
    return this.clone().ishln(bits);
  };

  BN.prototype.ushln = function ushln (bits) {
    return this.clone().iushln(bits);
  };

  // Shift-right
  BN.prototype.shrn = function shrn (bits) {
    return this.clone().ishrn(bits);
  };

  BN.prototype.ushrn = function ushrn (bits) {
    return this.clone().iushrn(bits);
  };

  // Test if n bit is set
  BN.prototype.testn = function testn (bit) {
    assert(typeof bit === 'number' && bit >= 0);
    var r = bit % 26;
    var s = (bit - r) / 26;
    var q = 1 << r;

    // Fast case: bit is much higher than all existing words
    if (this.length <= s) return false;

    // Check bit and return
    var w = this.words[s];

    return !!(w & q);
  };

  // Return only lowers bits of number (in-place)
  BN.prototype.imaskn = function imaskn (bits) {
    assert(typeof bits === 'number' && bits >= 0);
    var r = bits % 26;
    var s = (bits - r) / 26;

    assert(this.negative === 0, 'imaskn works only with positive numbers');

    if (this.length <= s) {
      return this;
    }

    if (r !== 0) {
      s++;
    }
    this.length = Math.min(s, this.length);

    if (r !== 0) {
      var mask = 0x3ffffff ^ ((0x3ffffff >>> r) << r);
      this.words[this.length - 1] &= mask;
    }

    if (this.length === 0) {
      this.words[0] = 0;
      this.length = 1;
    }

    return this._strip();
  };

  // Return only lowers bits of number
  BN.prototype.maskn = function maskn (bits) {
    return this.clone().imaskn(bits);
  };

  // Add plain number `num` to `this`
  BN.prototype.iaddn = function iaddn (num) {
    assert(typeof num === 'number');
    assert(num < 0x4000000);
    if (num < 0) return this.isubn(-num);

    // Possible sign change
    if (this.negative !== 0) {
      if (this.length === 1 && (this.words[0] | 0) <= num) {
        this.words[0] = num - (this.words[0] | 0);
        this.negative = 0;
        return this;
      }

      this.negative = 0;
      this.isubn(num);
      this.negative = 1;
      return this;
    }

    // Add without checks
    return this._iaddn(num);
  };

  BN.prototype._iaddn = function _iaddn (num) {
    this.words[0] += num;

    // Carry
    for (var i = 0; i < this.length && this.words[i] >= 0x4000000; i++) {
      this.words[i] -= 0x4000000;
      if (i === this.length - 1) {
        this.words[i + 1] = 1;
      } else {
        this.words[i + 1]++;
      }
    }
    this.length = Math.max(this.length, i + 1);

    return this;
  };

  // Subtract plain number `num` from `this`
  BN.prototype.isubn = function isubn (num) {
    assert(typeof num === 'number');
    assert(num < 0x4000000);
    if (num < 0) return this.iaddn(-num);

    if (this.negative !== 0) {
      this.negative = 0;
      this.iaddn(num);
      this.negative = 1;
      return this;
    }

    this.words[0] -= num;

    if (this.length === 1 && this.words[0] < 0) {
      this.words[0] = -this.words[0];
      this.negative = 1;
    } else {
      // Carry
      for (var i = 0; i < this.length && this.words[i] < 0; i++) {
        this.words[i] += 0x4000000;
        this.words[i + 1] -= 1;
      }
    }

    return this._strip();
  };

  BN.prototype.addn = function addn (num) {
    return this.clone().iaddn(num);
  };

  BN.prototype.subn = function subn (num) {
    return this.clone().isubn(num);
  };

  BN.prototype.iabs = function iabs () {
    this.negative = 0;

    return this;
  };

  BN.prototype.abs = function abs () {
    return this.clone().iabs();
  };

  BN.prototype._ishlnsubmul = function _ishlnsubmul (num, mul, shift) {
    var len = num.length + shift;
    var i;

    this._expand(len);

    var w;
    var carry = 0;
    for (i = 0; i < num.length; i++) {
      w = (this.words[i + shift] | 0) + carry;
      var right = (num.words[i] | 0) * mul;
      w -= right & 0x3ffffff;
      carry = (w >> 26) - ((right / 0x4000000) | 0);
      this.words[i + shift] = w & 0x3ffffff;
    }
    for (; i < this.length - shift; i++) {
      w = (this.words[i + shift] | 0) + carry;
      carry = w >> 26;
      this.words[i + shift] = w & 0x3ffffff;
    }

    if (carry === 0) return this._strip();

    // Subtraction overflow
    assert(carry === -1);
    carry = 0;
    for (i = 0; i < this.length; i++) {
      w = -(this.words[i] | 0) + carry;
      carry = w >> 26;
      this.words[i] = w & 0x3ffffff;
    }
    this.negative = 1;

    return this._strip();
  };

  BN.prototype._wordDiv = function _wordDiv (num, mode) {
    var shift = this.length - num.length;

    var a = this.clone();
    var b = num;

    // Normalize
    var bhi = b.words[b.length - 1] | 0;
    var bhiBits = this._countBits(bhi);
    shift = 26 - bhiBits;
    if (shift !== 0) {
      b = b.ushln(shift);
      a.iushln(shift);
      bhi = b.words[b.length - 1] | 0;
    }

    // Initialize quotient
    var m = a.length - b.length;
    var q;

    if (mode !== 'mod') {
      q = new BN(null);
      q.length = m + 1;
      q.words = new Array(q.length);
      for (var i = 0; i < q.length; i++) {
        q.words[i] = 0;
      }
    }

    var diff = a.clone()._ishlnsubmul(b, 1, m);
    if (diff.negative === 0) {
      a = diff;
      if (q) {
        q.words[m] = 1;
      }
    }

    for (var j = m - 1; j >= 0; j--) {
      var qj = (a.words[b.length + j] | 0) * 0x4000000 +
        (a.words[b.length + j - 1] | 0);

      // NOTE: (qj / bhi) is (0x3ffffff * 0x4000000 + 0x3ffffff) / 0x2000000 max
      // (0x7ffffff)
      qj = Math.min((qj / bhi) | 0, 0x3ffffff);

      a._ishlnsubmul(b, qj, j);
      while (a.negative !== 0) {
        qj--;
        a.negative = 0;
        a._ishlnsubmul(b, 1, j);
        if (!a.isZero()) {
          a.negative ^= 1;
        }
      }
      if (q) {
        q.words[j] = qj;
      }
    }
    if (q) {
      q._strip();
    }
    a._strip();

    // Denormalize
    if (mode !== 'div' && shift !== 0) {
      a.iushrn(shift);
    }

    return {
      div: q || null,
      mod: a
    };
  };

  // NOTE: 1) `mode` can be set to `mod` to request mod only,
  //       to `div` to request div only, or be absent to
  //       request both div & mod
  //       2) `positive` is true if unsigned mod is requested
  BN.prototype.divmod = function divmod (num, mode, positive) {
    assert(!num.isZero());

    if (this.isZero()) {
      return {
        div: new BN(0),
        mod: new BN(0)
      };
    }

    var div, mod, res;
    if (this.negative !== 0 && num.negative === 0) {
      res = this.neg().divmod(num, mode);

      if (mode !== 'mod') {
        div = res.div.neg();
      }

      if (mode !== 'div') {
        mod = res.mod.neg();
        if (positive && mod.negative !== 0) {
          mod.iadd(num);
        }
      }

      return {
        div: div,
        mod: mod
      };
    }

    if (this.negative === 0 && num.negative !== 0) {
      res = this.divmod(num.neg(), mode);

      if (mode !== 'mod') {
        div = res.div.neg();
      }

      return {
        div: div,
        mod: res.mod
      };
    }

    if ((this.negative & num.negative) !== 0) {
      res = this.neg().divmod(num.neg(), mode);

      if (mode !== 'div') {
        mod = res.mod.neg();
        if (positive && mod.negative !== 0) {
          mod.isub(num);
        }
      }

      return {
        div: res.div,
        mod: mod
      };
    }

    // Both numbers are positive at this point

    // Strip both numbers to approximate shift value
    if (num.length > this.length || this.cmp(num) < 0) {
      return {
        div: new BN(0),
        mod: this
      };
    }

    // Very short reduction
    if (num.length === 1) {
      if (mode === 'div') {
        return {
          div: this.divn(num.words[0]),
          mod: null
        };
      }

      if (mode === 'mod') {
        return {
          div: null,
          mod: new BN(this.modrn(num.words[0]))
        };
      }

      return {
        div: this.divn(num.words[0]),
        mod: new BN(this.modrn(num.words[0]))
      };
    }

    return this._wordDiv(num, mode);
  };

  // Find `this` / `num`
  BN.prototype.div = function div (num) {
    return this.divmod(num, 'div', false).div;
  };

  // Find `this` % `num`
  BN.prototype.mod = function mod (num) {
    return this.divmod(num, 'mod', false).mod;
  };

  BN.prototype.umod = function umod (num) {
    return this.divmod(num, 'mod', true).mod;
  };

  // Find Round(`this` / `num`)
  BN.prototype.divRound = function divRound (num) {
    var dm = this.divmod(num);

    // Fast case - exact division
    if (dm.mod.isZero()) return dm.div;

    var mod = dm.mod.abs();

    var half = num.abs().iushrn(1);
    var r2 = num.words[0] & 1;
    var cmp = mod.cmp(half);

    // Round down
    if (cmp < 0 || (r2 === 1 && cmp === 0)) return dm.div;

    // Round up, away from zero
    var up = new BN(1);
    up.negative = this.negative ^ num.negative;
    return dm.div.iadd(up);
  };

  BN.prototype.modrn = function modrn (num) {
    var isNegNum = num < 0;
    if (isNegNum) num = -num;

    assert(num <= 0x3ffffff);
    var p = (1 << 26) % num;

    var acc = 0;
    for (var i = this.length - 1; i >= 0; i--) {
      acc = (p * acc + (this.words[i] | 0)) % num;
    }

    return isNegNum ? -acc : acc;
  };

  // WARNING: DEPRECATED
  BN.prototype.modn = function modn (num) {
    return this.modrn(num);
  };

  // In-place division by number
  BN.prototype.idivn = function idivn (num) {
    var isNegNum = num < 0;
    if (isNegNum) num = -num;

    assert(num <= 0x3ffffff);

    var carry = 0;
    for (var i = this.length - 1; i >= 0; i--) {
      var w = (this.words[i] | 0) + carry * 0x4000000;
      this.words[i] = (w / num) | 0;
      carry = w % num;
    }

    this._strip();
    return isNegNum ? this.ineg() : this;
  };

  BN.prototype.divn = function divn (num) {
    return this.clone().idivn(num);
  };

  BN.prototype.egcd = function egcd (p) {
    assert(p.negative === 0);
    assert(!p.isZero());

    var x = this;
    var y = p.clone();

    if (x.negative !== 0) {
      x = x.umod(p);
    } else {
      x = x.clone();
    }

    // A * x + B * y = x
    var A = new BN(1);
    var B = new BN(0);

    // C * x + D * y = y
    var C = new BN(0);
    var D = new BN(1);

    var g = 0;

    while (x.isEven() && y.isEven()) {
      x.iushrn(1);
      y.iushrn(1);
      ++g;
    }

    var yp = y.clone();
    var xp = x.clone();

    while (!x.isZero()) {
      for (var i = 0, im = 1; (x.words[0] & im) === 0 && i < 26; ++i, im <<= 1);
      if (i > 0) {
        x.iushrn(i);
        while (i-- > 0) {
          if (A.isOdd() || B.isOdd()) {
            A.iadd(yp);
            B.isub(xp);
          }

          A.iushrn(1);
          B.iushrn(1);
        }
      }

      for (var j = 0, jm = 1; (y.words[0] & jm) === 0 && j < 26; ++j, jm <<= 1);
      if (j > 0) {
        y.iushrn(j);
        while (j-- > 0) {
          if (C.isOdd() || D.isOdd()) {
            C.iadd(yp);
            D.isub(xp);
          }

          C.iushrn(1);
          D.iushrn(1);
        }
      }

      if (x.cmp(y) >= 0) {
        x.isub(y);
        A.isub(C);
        B.isub(D);
      } else {
        y.isub(x);
        C.isub(A);
        D.isub(B);
      }
    }

    return {
      a: C,
      b: D,
      gcd: y.iushln(g)
    };
  };

  // This is reduced incarnation of the binary EEA
  // above, designated to invert members of the
  // _prime_ fields F(p) at a maximal speed
  BN.prototype._invmp = function _invmp (p) {
    assert(p.negative === 0);
    assert(!p.isZero());

    var a = this;
    var b = p.clone();

    if (a.negative !== 0) {
      a = a.umod(p);
    } else {
      a = a.clone();
    }

    var x1 = new BN(1);
    var x2 = new BN(0);

    var delta = b.clone();

    while (a.cmpn(1) > 0 && b.cmpn(1) > 0) {
      for (var i = 0, im = 1; (a.words[0] & im) === 0 && i < 26; ++i, im <<= 1);
      if (i > 0) {
        a.iushrn(i);
        while (i-- > 0) {
          if (x1.isOdd()) {
            x1.iadd(delta);
          }

          x1.iushrn(1);
        }
      }

      for (var j = 0, jm = 1; (b.words[0] & jm) === 0 && j < 26; ++j, jm <<= 1);
      if (j > 0) {
        b.iushrn(j);
        while (j-- > 0) {
          if (x2.isOdd()) {
            x2.iadd(delta);
          }

          x2.iushrn(1);
        }
      }

      if (a.cmp(b) >= 0) {
        a.isub(b);
        x1.isub(x2);
      } else {
        b.isub(a);
        x2.isub(x1);
      }
    }

    var res;
    if (a.cmpn(1) === 0) {
      res = x1;
    } else {
      res = x2;
    }

    if (res.cmpn(0) < 0) {
      res.iadd(p);
    }

    return res;
  };

  BN.prototype.gcd = function gcd (num) {
    if (this.isZero()) return num.abs();
    if (num.isZero()) return this.abs();

    var a = this.clone();
    var b = num.clone();
    a.negative = 0;
    b.negative = 0;

    // Remove common factor of two
    for (var shift = 0; a.isEven() && b.isEven(); shift++) {
      a.iushrn(1);
      b.iushrn(1);
    }

    do {
      while (a.isEven()) {
        a.iushrn(1);
      }
      while (b.isEven()) {
        b.iushrn(1);
      }

      var r = a.cmp(b);
      if (r < 0) {
        // Swap `a` and `b` to make `a` always bigger than `b`
        var t = a;
        a = b;
        b = t;
      } else if (r === 0 || b.cmpn(1) === 0) {
        break;
      }

      a.isub(b);
    } while (true);

    return b.iushln(shift);
  };

  // Invert number in the field F(num)
  BN.prototype.invm = function invm (num) {
    return this.egcd(num).a.umod(num);
  };

  BN.prototype.isEven = function isEven () {
    return (this.words[0] & 1) === 0;
  };

  BN.prototype.isOdd = function isOdd () {
    return (this.words[0] & 1) === 1;
  };

  // And first word and num
  BN.prototype.andln = function andln (num) {
    return this.words[0] & num;
  };

  // Increment at the bit position in-line
  BN.prototype.bincn = function bincn (bit) {
    assert(typeof bit === 'number');
    var r = bit % 26;
    var s = (bit - r) / 26;
    var q = 1 << r;

    // Fast case: bit is much higher than all existing words
    if (this.length <= s) {
      this._expand(s + 1);
      this.words[s] |= q;
      return this;
    }

    // Add bit and propagate, if needed
    var carry = q;
    for (var i = s; carry !== 0 && i < this.length; i++) {
      var w = this.words[i] | 0;
      w += carry;
      carry = w >>> 26;
      w &= 0x3ffffff;
      this.words[i] = w;
    }
    if (carry !== 0) {
      this.words[i] = carry;
      this.length++;
    }
    return this;
  };

  BN.prototype.isZero = function isZero () {
    return this.length === 1 && this.words[0] === 0;
  };

  BN.prototype.cmpn = function cmpn (num) {
    var negative = num < 0;

    if (this.negative !== 0 && !negative) return -1;
    if (this.negative === 0 && negative) return 1;

    this._strip();

    var res;
    if (this.length > 1) {
      res = 1;
    } else {
      if (negative) {
        num = -num;
      }

      assert(num <= 0x3ffffff, 'Number is too big');

      var w = this.words[0] | 0;
      res = w === num ? 0 : w < num ? -1 : 1;
    }
    if (this.negative !== 0) return -res | 0;
    return res;
  };

  // Compare two numbers and return:
  // 1 - if `this` > `num`
  // 0 - if `this` == `num`
  // -1 - if `this` < `num`
  BN.prototype.cmp = function cmp (num) {
    if (this.negative !== 0 && num.negative === 0) return -1;
    if (this.negative === 0 && num.negative !== 0) return 1;

    var res = this.ucmp(num);
    if (this.negative !== 0) return -res | 0;
    return res;
  };

  // Unsigned comparison
  BN.prototype.ucmp = function ucmp (num) {
    // At this point both numbers have the same sign
    if (this.length > num.length) return 1;
    if (this.length < num.length) return -1;

    var res = 0;
    for (var i = this.length - 1; i >= 0; i--) {
      var a = this.words[i] | 0;
      var b = num.words[i] | 0;

      if (a === b) continue;
      if (a < b) {
        res = -1;
      } else if (a > b) {
        res = 1;
      }
      break;
    }
    return res;
  };

  BN.prototype.gtn = function gtn (num) {
    return this.cmpn(num) === 1;
  };

  BN.prototype.gt = function gt (num) {
    return this.cmp(num) === 1;
  };

  BN.prototype.gten = function gten (num) {
    return this.cmpn(num) >= 0;
  };

  BN.prototype.gte = function gte (num) {
    return this.cmp(num) >= 0;
  };

  BN.prototype.ltn = function ltn (num) {
    return this.cmpn(num) === -1;
  };

  BN.prototype.lt = function lt (num) {
    return this.cmp(num) === -1;
  };

  BN.prototype.lten = function lten (num) {
    return this.cmpn(num) <= 0;
  };

  BN.prototype.lte = function lte (num) {
    return this.cmp(num) <= 0;
  };

  BN.prototype.eqn = function eqn (num) {
    return this.cmpn(num) === 0;
  };

  BN.prototype.eq = function eq (num) {
    return this.cmp(num) === 0;
  };

  //
  // A reduce context, could be using montgomery or something better, depending
  // on the `m` itself.
  //
  BN.red = function red (num) {
    return new Red(num);
  };

  BN.prototype.toRed = function toRed (ctx) {
    assert(!this.red, 'Already a number in reduction context');
    assert(this.negative === 0, 'red works only with positives');
    return ctx.convertTo(this)._forceRed(ctx);
  };

  BN.prototype.fromRed = function fromRed () {
    assert(this.red, 'fromRed works only with numbers in reduction context');
    return this.red.convertFrom(this);
  };

  BN.prototype._forceRed = function _forceRed (ctx) {
    this.red = ctx;
    return this;
  };

  BN.prototype.forceRed = function forceRed (ctx) {
    assert(!this.red, 'Already a number in reduction context');
    return this._forceRed(ctx);
  };

  BN.prototype.redAdd = function redAdd (num) {
    assert(this.red, 'redAdd works only with red numbers');
    return this.red.add(this, num);
  };

  BN.prototype.redIAdd = function redIAdd (num) {
    assert(this.red, 'redIAdd works only with red numbers');
    return this.red.iadd(this, num);
  };

  BN.prototype.redSub = function redSub (num) {
    assert(this.red, 'redSub works only with red numbers');
    return this.red.sub(this, num);
  };

  BN.prototype.redISub = function redISub (num) {
    assert(this.red, 'redISub works only with red numbers');
    return this.red.isub(this, num);
  };

  BN.prototype.redShl = function redShl (num) {
    assert(this.red, 'redShl works only with red numbers');
    return this.red.shl(this, num);
  };

  BN.prototype.redMul = function redMul (num) {
    assert(this.red, 'redMul works only with red numbers');
    this.red._verify2(this, num);
    return this.red.mul(this, num);
  };

  BN.prototype.redIMul = function redIMul (num) {
    assert(this.red, 'redMul works only with red numbers');
    this.red._verify2(this, num);
    return this.red.imul(this, num);
  };

  BN.prototype.redSqr = function redSqr () {
    assert(this.red, 'redSqr works only with red numbers');
    this.red._verify1(this);
    return this.red.sqr(this);
  };

  BN.prototype.redISqr = function redISqr () {
    assert(this.red, 'redISqr works only with red numbers');
    this.red._verify1(this);
    return this.red.isqr(this);
  };

  // Square root over p
  BN.prototype.redSqrt = function redSqrt () {
    assert(this.red, 'redSqrt works only with red numbers');
    this.red._verify1(this);
    return this.red.sqrt(this);
  };

  BN.prototype.redInvm = function redInvm () {
    assert(this.red, 'redInvm works only with red numbers');
    this.red._verify1(this);
    return this.red.invm(this);
  };

  // Return negative clone of `this` % `red modulo`
  BN.prototype.redNeg = function redNeg () {
    assert(this.red, 'redNeg works only with red numbers');
    this.red._verify1(this);
    return this.red.neg(this);
  };

  BN.prototype.redPow = function redPow (num) {
    assert(this.red && !num.red, 'redPow(normalNum)');
    this.red._verify1(this);
    return this.red.pow(this, num);
  };

  // Prime numbers with efficient reduction
  var primes = {
    k256: null,
    p224: null,
    p192: null,
    p25519: null
  };

  // Pseudo-Mersenne prime
  function MPrime (name, p) {
    // P = 2 ^ N - K
    this.name = name;
    this.p = new BN(p, 16);
    this.n = this.p.bitLength();
    this.k = new BN(1).iushln(this.n).isub(this.p);

    this.tmp = this._tmp();
  }

  MPrime.prototype._tmp = function _tmp () {
    var tmp = new BN(null);
    tmp.words = new Array(Math.ceil(this.n / 13));
    return tmp;
  };

  MPrime.prototype.ireduce = function ireduce (num) {
    // Assumes that `num` is less than `P^2`
    // num = HI * (2 ^ N - K) + HI * K + LO = HI * K + LO (mod P)
    var r = num;
    var rlen;

    do {
      this.split(r, this.tmp);
      r = this.imulK(r);
      r = r.iadd(this.tmp);
      rlen = r.bitLength();
    } while (rlen > this.n);

    var cmp = rlen < this.n ? -1 : r.ucmp(this.p);
    if (cmp === 0) {
      r.words[0] = 0;
      r.length = 1;
    } else if (cmp > 0) {
      r.isub(this.p);
    } else {
      if (r.strip !== undefined) {
        // r is a BN v4 instance
        r.strip();
      } else {
        // r is a BN v5 instance
        r._strip();
      }
    }

    return r;
  };

  MPrime.prototype.split = function split (input, out) {
    input.iushrn(this.n, 0, out);
  };

  MPrime.prototype.imulK = function imulK (num) {
    return num.imul(this.k);
  };

  function K256 () {
    MPrime.call(
      this,
      'k256',
      'ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff fffffffe fffffc2f');
  }
  inherits(K256, MPrime);

  K256.prototype.split = function split (input, output) {
    // 256 = 9 * 26 + 22
    var mask = 0x3fffff;

    var outLen = Math.min(input.length, 9);
    for (var i = 0; i < outLen; i++) {
      output.words[i] = input.words[i];
    }
    output.length = outLen;

    if (input.length <= 9) {
      input.words[0] = 0;
      input.length = 1;
      return;
    }

    // Shift by 9 limbs
    var prev = input.words[9];
    output.words[output.length++] = prev & mask;

    for (i = 10; i < input.length; i++) {
      var next = input.words[i] | 0;
      input.words[i - 10] = ((next & mask) << 4) | (prev >>> 22);
      prev = next;
    }
    prev >>>= 22;
    input.words[i - 10] = prev;
    if (prev === 0 && input.length > 10) {
      input.length -= 10;
    } else {
      input.length -= 9;
    }
  };

  K256.prototype.imulK = function imulK (num) {
    // K = 0x1000003d1 = [ 0x40, 0x3d1 ]
    num.words[num.length] = 0;
    num.words[num.length + 1] = 0;
    num.length += 2;

    // bounded at: 0x40 * 0x3ffffff + 0x3d0 = 0x100000390
    var lo = 0;
    for (var i = 0; i < num.length; i++) {
      var w = num.words[i] | 0;
      lo += w * 0x3d1;
      num.words[i] = lo & 0x3ffffff;
      lo = w * 0x40 + ((lo / 0x4000000) | 0);
    }

    // Fast length reduction
    if (num.words[num.length - 1] === 0) {
      num.length--;
      if (num.words[num.length - 1] === 0) {
        num.length--;
      }
    }
    return num;
  };

  function P224 () {
    MPrime.call(
      this,
      'p224',
      'ffffffff ffffffff ffffffff ffffffff 00000000 00000000 00000001');
  }
  inherits(P224, MPrime);

  function P192 () {
    MPrime.call(
      this,
      'p192',
      'ffffffff ffffffff ffffffff fffffffe ffffffff ffffffff');
  }
  inherits(P192, MPrime);

  function P25519 () {
    // 2 ^ 255 - 19
    MPrime.call(
      this,
      '25519',
      '7fffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffed');
  }
  inherits(P25519, MPrime);

  P25519.prototype.imulK = function imulK (num) {
    // K = 0x13
    var carry = 0;
    for (var i = 0; i < num.length; i++) {
      var hi = (num.words[i] | 0) * 0x13 + carry;
      var lo = hi & 0x3ffffff;
      hi >>>= 26;

      num.words[i] = lo;
      carry = hi;
    }
    if (carry !== 0) {
      num.words[num.length++] = carry;
    }
    return num;
  };

  // Exported mostly for testing purposes, use plain name instead
  BN._prime = function prime (name) {
    // Cached version of prime
    if (primes[name]) return primes[name];

    var prime;
    if (name === 'k256') {
      prime = new K256();
    } else if (name === 'p224') {
      prime = new P224();
    } else if (name === 'p192') {
      prime = new P192();
    } else if (name === 'p25519') {
      prime = new P25519();
    } else {
      throw new Error('Unknown prime ' + name);
    }
    primes[name] = prime;

    return prime;
  };

  //
  // Base reduction engine
  //
  function Red (m) {
    if (typeof m === 'string') {
      var prime = BN._prime(m);
      this.m = prime.p;
      this.prime = prime;
    } else {
      assert(m.gtn(1), 'modulus must be greater than 1');
      this.m = m;
      this.prime = null;
    }
  }

  Red.prototype._verify1 = function _verify1 (a) {
    assert(a.negative === 0, 'red works only with positives');
    assert(a.red, 'red works only with red numbers');
  };

  Red.prototype._verify2 = function _verify2 (a, b) {
    assert((a.negative | b.negative) === 0, 'red works only with positives');
    assert(a.red && a.red === b.red,
      'red works only with red numbers');
  };

  Red.prototype.imod = function imod (a) {
    if (this.prime) return this.prime.ireduce(a)._forceRed(this);

    move(a, a.umod(this.m)._forceRed(this));
    return a;
  };

  Red.prototype.neg = function neg (a) {
    if (a.isZero()) {
      return a.clone();
    }

    return this.m.sub(a)._forceRed(this);
  };

  Red.prototype.add = function add (a, b) {
    this._verify2(a, b);

    var res = a.add(b);
    if (res.cmp(this.m) >= 0) {
      res.isub(this.m);
    }
    return res._forceRed(this);
  };

  Red.prototype.iadd = function iadd (a, b) {
    this._verify2(a, b);

    var res = a.iadd(b);
    if (res.cmp(this.m) >= 0) {
      res.isub(this.m);
    }
    return res;
  };

  Red.prototype.sub = function sub (a, b) {
    this._verify2(a, b);

    var res = a.sub(b);
    if (res.cmpn(0) < 0) {
      res.iadd(this.m);
    }
    return res._forceRed(this);
  };

  Red.prototype.isub = function isub (a, b) {
    this._verify2(a, b);

    var res = a.isub(b);
    if (res.cmpn(0) < 0) {
      res.iadd(this.m);
    }
    return res;
  };

  Red.prototype.shl = function shl (a, num) {
    this._verify1(a);
    return this.imod(a.ushln(num));
  };

  Red.prototype.imul = function imul (a, b) {
    this._verify2(a, b);
    return this.imod(a.imul(b));
  };

  Red.prototype.mul = function mul (a, b) {
    this._verify2(a, b);
    return this.imod(a.mul(b));
  };

  Red.prototype.isqr = function isqr (a) {
    return this.imul(a, a.clone());
  };

  Red.prototype.sqr = function sqr (a) {
    return this.mul(a, a);
  };

  Red.prototype.sqrt = function sqrt (a) {
    if (a.isZero()) return a.clone();

    var mod3 = this.m.andln(3);
    assert(mod3 % 2 === 1);

    // Fast case
    if (mod3 === 3) {
      var pow = this.m.add(new BN(1)).iushrn(2);
      return this.pow(a, pow);
    }

    // Tonelli-Shanks algorithm (Totally unoptimized and slow)
    //
    // Find Q and S, that Q * 2 ^ S = (P - 1)
    var q = this.m.subn(1);
    var s = 0;
    while (!q.isZero() && q.andln(1) === 0) {
      s++;
      q.iushrn(1);
    }
    assert(!q.isZero());

    var one = new BN(1).toRed(this);
    var nOne = one.redNeg();

    // Find quadratic non-residue
    // NOTE: Max is such because of generalized Riemann hypothesis.
    var lpow = this.m.subn(1).iushrn(1);
    var z = this.m.bitLength();
    z = new BN(2 * z * z).toRed(this);

    while (this.pow(z, lpow).cmp(nOne) !== 0) {
      z.redIAdd(nOne);
    }

    var c = this.pow(z, q);
    var r = this.pow(a, q.addn(1).iushrn(1));
    var t = this.pow(a, q);
    var m = s;
    while (t.cmp(one) !== 0) {
      var tmp = t;
      for (var i = 0; tmp.cmp(one) !== 0; i++) {
        tmp = tmp.redSqr();
      }
      assert(i < m);
      var b = this.pow(c, new BN(1).iushln(m - i - 1));

      r = r.redMul(b);
      c = b.redSqr();
      t = t.redMul(c);
      m = i;
    }

    return r;
  };

  Red.prototype.invm = function invm (a) {
    var inv = a._invmp(this.m);
    if (inv.negative !== 0) {
      inv.negative = 0;
      return this.imod(inv).redNeg();
    } else {
      return this.imod(inv);
    }
  };

  Red.prototype.pow = function pow (a, num) {
    if (num.isZero()) return new BN(1).toRed(this);
    if (num.cmpn(1) === 0) return a.clone();

    var windowSize = 4;
    var wnd = new Array(1 << windowSize);
    wnd[0] = new BN(1).toRed(this);
    wnd[1] = a;
    for (var i = 2; i < wnd.length; i++) {
      wnd[i] = this.mul(wnd[i - 1], a);
    }

    var res = wnd[0];
    var current = 0;
    var currentLen = 0;
    var start = num.bitLength() % 26;
    if (start === 0) {
      start = 26;
    }

    for (i = num.length - 1; i >= 0; i--) {
      var word = num.words[i];
      for (var j = start - 1; j >= 0; j--) {
        var bit = (word >> j) & 1;
        if (res !== wnd[0]) {
          res = this.sqr(res);
        }

        if (bit === 0 && current === 0) {
          currentLen = 0;
          continue;
        }

        current <<= 1;
        current |= bit;
        currentLen++;
        if (currentLen !== windowSize && (i !== 0 || j !== 0)) continue;

        res = this.mul(res, wnd[current]);
        currentLen = 0;
        current = 0;
      }
      start = 26;
    }

    return res;
  };

  Red.prototype.convertTo = function convertTo (num) {
    var r = num.umod(this.m);

    return r === num ? r.clone() : r;
  };

  Red.prototype.convertFrom = function convertFrom (num) {
    var res = num.clone();
    res.red = null;
    return res;
  };

  //
  // Montgomery method engine
  //

  BN.mont = function mont (num) {
    return new Mont(num);
  };

  function Mont (m) {
    Red.call(this, m);

    this.shift = this.m.bitLength();
    if (this.shift % 26 !== 0) {
      this.shift += 26 - (this.shift % 26);
    }

    this.r = new BN(1).iushln(this.shift);
    this.r2 = this.imod(this.r.sqr());
    this.rinv = this.r._invmp(this.m);

    this.minv = this.rinv.mul(this.r).isubn(1).div(this.m);
    this.minv = this.minv.umod(this.r);
    this.minv = this.r.sub(this.minv);
  }
  inherits(Mont, Red);

  Mont.prototype.convertTo = function convertTo (num) {
    return this.imod(num.ushln(this.shift));
  };

  Mont.prototype.convertFrom = function convertFrom (num) {
    var r = this.imod(num.mul(this.rinv));
    r.red = null;
    return r;
  };

  Mont.prototype.imul = function imul (a, b) {
    if (a.isZero() || b.isZero()) {
      a.words[0] = 0;
      a.length = 1;
      return a;
    }

    var t = a.imul(b);
    var c = t.maskn(this.shift).mul(this.minv).imaskn(this.shift).mul(this.m);
    var u = t.isub(c).iushrn(this.shift);
    var res = u;

    if (u.cmp(this.m) >= 0) {
      res = u.isub(this.m);
    } else if (u.cmpn(0) < 0) {
      res = u.iadd(this.m);
    }

    return res._forceRed(this);
  };

  Mont.prototype.mul = function mul (a, b) {
    if (a.isZero() || b.isZero()) return new BN(0)._forceRed(this);

    var t = a.mul(b);
    var c = t.maskn(this.shift).mul(this.minv).imaskn(this.shift).mul(this.m);
    var u = t.isub(c).iushrn(this.shift);
    var res = u;
    if (u.cmp(this.m) >= 0) {
      res = u.isub(this.m);
    } else if (u.cmpn(0) < 0) {
      res = u.iadd(this.m);
    }

    return res._forceRed(this);
  };

  Mont.prototype.invm = function invm (a) {
    // (AR)^-1 * R^2 = (A^-1 * R^-1) * R^2 = A^-1 * R
    var res = this.imod(a._invmp(this.m).mul(this.r2));
    return res._forceRed(this);
  };
})(typeof module === 'undefined' || module, this);

},{"buffer":19}],19:[function(require,module,exports){

},{}],20:[function(require,module,exports){
(function (Buffer){(function (){
/*!
 * The buffer module from node.js, for the browser.
 *
 * @author   Feross Aboukhadijeh <https://feross.org>
 * @license  MIT
 */
/* eslint-disable no-proto */

'use strict'

var base64 = require('base64-js')
var ieee754 = require('ieee754')

exports.Buffer = Buffer
exports.SlowBuffer = SlowBuffer
exports.INSPECT_MAX_BYTES = 50

var K_MAX_LENGTH = 0x7fffffff
exports.kMaxLength = K_MAX_LENGTH

/**
 * If `Buffer.TYPED_ARRAY_SUPPORT`:
 *   === true    Use Uint8Array implementation (fastest)
 *   === false   Print warning and recommend using `buffer` v4.x which has an Object
 *               implementation (most compatible, even IE6)
 *
 * Browsers that support typed arrays are IE 10+, Firefox 4+, Chrome 7+, Safari 5.1+,
 * Opera 11.6+, iOS 4.2+.
 *
 * We report that the browser does not support typed arrays if the are not subclassable
 * using __proto__. Firefox 4-29 lacks support for adding new properties to `Uint8Array`
 * (See: https://bugzilla.mozilla.org/show_bug.cgi?id=695438). IE 10 lacks support
 * for __proto__ and has a buggy typed array implementation.
 */
Buffer.TYPED_ARRAY_SUPPORT = typedArraySupport()

if (!Buffer.TYPED_ARRAY_SUPPORT && typeof console !== 'undefined' &&
    typeof console.error === 'function') {
  console.error(
    'This browser lacks typed array (Uint8Array) support which is required by ' +
    '`buffer` v5.x. Use `buffer` v4.x if you require old browser support.'
  )
}

function typedArraySupport () {
  // Can typed array instances can be augmented?
  try {
    var arr = new Uint8Array(1)
    arr.__proto__ = { __proto__: Uint8Array.prototype, foo: function () { return 42 } }
    return arr.foo() === 42
  } catch (e) {
    return false
  }
}

Object.defineProperty(Buffer.prototype, 'parent', {
  enumerable: true,
  get: function () {
    if (!Buffer.isBuffer(this)) return undefined
    return this.buffer
  }
})

Object.defineProperty(Buffer.prototype, 'offset', {
  enumerable: true,
  get: function () {
    if (!Buffer.isBuffer(this)) return undefined
    return this.byteOffset
  }
})

function createBuffer (length) {
  if (length > K_MAX_LENGTH) {
    throw new RangeError('The value "' + length + '" is invalid for option "size"')
  }
  // Return an augmented `Uint8Array` instance
  var buf = new Uint8Array(length)
  buf.__proto__ = Buffer.prototype
  return buf
}

/**
 * The Buffer constructor returns instances of `Uint8Array` that have their
 * prototype changed to `Buffer.prototype`. Furthermore, `Buffer` is a subclass of
 * `Uint8Array`, so the returned instances will have all the node `Buffer` methods
 * and the `Uint8Array` methods. Square bracket notation works as expected -- it
 * returns a single octet.
 *
 * The `Uint8Array` prototype remains unmodified.
 */

function Buffer (arg, encodingOrOffset, length) {
  // Common case.
  if (typeof arg === 'number') {
    if (typeof encodingOrOffset === 'string') {
      throw new TypeError(
        'The "string" argument must be of type string. Received type number'
      )
    }
    return allocUnsafe(arg)
  }
  return from(arg, encodingOrOffset, length)
}

// Fix subarray() in ES2016. See: https://github.com/feross/buffer/pull/97
if (typeof Symbol !== 'undefined' && Symbol.species != null &&
    Buffer[Symbol.species] === Buffer) {
  Object.defineProperty(Buffer, Symbol.species, {
    value: null,
    configurable: true,
    enumerable: false,
    writable: false
  })
}

Buffer.poolSize = 8192 // not used by this implementation

function from (value, encodingOrOffset, length) {
  if (typeof value === 'string') {
    return fromString(value, encodingOrOffset)
  }

  if (ArrayBuffer.isView(value)) {
    return fromArrayLike(value)
  }

  if (value == null) {
    throw TypeError(
      'The first argument must be one of type string, Buffer, ArrayBuffer, Array, ' +
      'or Array-like Object. Received type ' + (typeof value)
    )
  }

  if (isInstance(value, ArrayBuffer) ||
      (value && isInstance(value.buffer, ArrayBuffer))) {
    return fromArrayBuffer(value, encodingOrOffset, length)
  }

  if (typeof value === 'number') {
    throw new TypeError(
      'The "value" argument must not be of type number. Received type number'
    )
  }

  var valueOf = value.valueOf && value.valueOf()
  if (valueOf != null && valueOf !== value) {
    return Buffer.from(valueOf, encodingOrOffset, length)
  }

  var b = fromObject(value)
  if (b) return b

  if (typeof Symbol !== 'undefined' && Symbol.toPrimitive != null &&
      typeof value[Symbol.toPrimitive] === 'function') {
    return Buffer.from(
      value[Symbol.toPrimitive]('string'), encodingOrOffset, length
    )
  }

  throw new TypeError(
    'The first argument must be one of type string, Buffer, ArrayBuffer, Array, ' +
    'or Array-like Object. Received type ' + (typeof value)
  )
}

/**
 * Functionally equivalent to Buffer(arg, encoding) but throws a TypeError
 * if value is a number.
 * Buffer.from(str[, encoding])
 * Buffer.from(array)
 * Buffer.from(buffer)
 * Buffer.from(arrayBuffer[, byteOffset[, length]])
 **/
Buffer.from = function (value, encodingOrOffset, length) {
  return from(value, encodingOrOffset, length)
}

// Note: Change prototype *after* Buffer.from is defined to workaround Chrome bug:
// https://github.com/feross/buffer/pull/148
Buffer.prototype.__proto__ = Uint8Array.prototype
Buffer.__proto__ = Uint8Array

function assertSize (size) {
  if (typeof size !== 'number') {
    throw new TypeError('"size" argument must be of type number')
  } else if (size < 0) {
    throw new RangeError('The value "' + size + '" is invalid for option "size"')
  }
}

function alloc (size, fill, encoding) {
  assertSize(size)
  if (size <= 0) {
    return createBuffer(size)
  }
  if (fill !== undefined) {
    // Only pay attention to encoding if it's a string. This
    // prevents accidentally sending in a number that would
    // be interpretted as a start offset.
    return typeof encoding === 'string'
      ? createBuffer(size).fill(fill, encoding)
      : createBuffer(size).fill(fill)
  }
  return createBuffer(size)
}

/**
 * Creates a new filled Buffer instance.
 * alloc(size[, fill[, encoding]])
 **/
Buffer.alloc = function (size, fill, encoding) {
  return alloc(size, fill, encoding)
}

function allocUnsafe (size) {
  assertSize(size)
  return createBuffer(size < 0 ? 0 : checked(size) | 0)
}

/**
 * Equivalent to Buffer(num), by default creates a non-zero-filled Buffer instance.
 * */
Buffer.allocUnsafe = function (size) {
  return allocUnsafe(size)
}
/**
 * Equivalent to SlowBuffer(num), by default creates a non-zero-filled Buffer instance.
 */
Buffer.allocUnsafeSlow = function (size) {
  return allocUnsafe(size)
}

function fromString (string, encoding) {
  if (typeof encoding !== 'string' || encoding === '') {
    encoding = 'utf8'
  }

  if (!Buffer.isEncoding(encoding)) {
    throw new TypeError('Unknown encoding: ' + encoding)
  }

  var length = byteLength(string, encoding) | 0
  var buf = createBuffer(length)

  var actual = buf.write(string, encoding)

  if (actual !== length) {
    // Writing a hex string, for example, that contains invalid characters will
    // cause everything after the first invalid character to be ignored. (e.g.
    // 'abxxcd' will be treated as 'ab')
    buf = buf.slice(0, actual)
  }

  return buf
}

function fromArrayLike (array) {
  var length = array.length < 0 ? 0 : checked(array.length) | 0
  var buf = createBuffer(length)
  for (var i = 0; i < length; i += 1) {
    buf[i] = array[i] & 255
  }
  return buf
}

function fromArrayBuffer (array, byteOffset, length) {
  if (byteOffset < 0 || array.byteLength < byteOffset) {
    throw new RangeError('"offset" is outside of buffer bounds')
  }

  if (array.byteLength < byteOffset + (length || 0)) {
    throw new RangeError('"length" is outside of buffer bounds')
  }

  var buf
  if (byteOffset === undefined && length === undefined) {
    buf = new Uint8Array(array)
  } else if (length === undefined) {
    buf = new Uint8Array(array, byteOffset)
  } else {
    buf = new Uint8Array(array, byteOffset, length)
  }

  // Return an augmented `Uint8Array` instance
  buf.__proto__ = Buffer.prototype
  return buf
}

function fromObject (obj) {
  if (Buffer.isBuffer(obj)) {
    var len = checked(obj.length) | 0
    var buf = createBuffer(len)

    if (buf.length === 0) {
      return buf
    }

    obj.copy(buf, 0, 0, len)
    return buf
  }

  if (obj.length !== undefined) {
    if (typeof obj.length !== 'number' || numberIsNaN(obj.length)) {
      return createBuffer(0)
    }
    return fromArrayLike(obj)
  }

  if (obj.type === 'Buffer' && Array.isArray(obj.data)) {
    return fromArrayLike(obj.data)
  }
}

function checked (length) {
  // Note: cannot use `length < K_MAX_LENGTH` here because that fails when
  // length is NaN (which is otherwise coerced to zero.)
  if (length >= K_MAX_LENGTH) {
    throw new RangeError('Attempt to allocate Buffer larger than maximum ' +
                         'size: 0x' + K_MAX_LENGTH.toString(16) + ' bytes')
  }
  return length | 0
}

function SlowBuffer (length) {
  if (+length != length) { // eslint-disable-line eqeqeq
    length = 0
  }
  return Buffer.alloc(+length)
}

Buffer.isBuffer = function isBuffer (b) {
  return b != null && b._isBuffer === true &&
    b !== Buffer.prototype // so Buffer.isBuffer(Buffer.prototype) will be false
}

Buffer.compare = function compare (a, b) {
  if (isInstance(a, Uint8Array)) a = Buffer.from(a, a.offset, a.byteLength)
  if (isInstance(b, Uint8Array)) b = Buffer.from(b, b.offset, b.byteLength)
  if (!Buffer.isBuffer(a) || !Buffer.isBuffer(b)) {
    throw new TypeError(
      'The "buf1", "buf2" arguments must be one of type Buffer or Uint8Array'
    )
  }

  if (a === b) return 0

  var x = a.length
  var y = b.length

  for (var i = 0, len = Math.min(x, y); i < len; ++i) {
    if (a[i] !== b[i]) {
      x = a[i]
      y = b[i]
      break
    }
  }

  if (x < y) return -1
  if (y < x) return 1
  return 0
}

Buffer.isEncoding = function isEncoding (encoding) {
  switch (String(encoding).toLowerCase()) {
    case 'hex':
    case 'utf8':
    case 'utf-8':
    case 'ascii':
    case 'latin1':
    case 'binary':
    case 'base64':
    case 'ucs2':
    case 'ucs-2':
    case 'utf16le':
    case 'utf-16le':
      return true
    default:
      return false
  }
}

Buffer.concat = function concat (list, length) {
  if (!Array.isArray(list)) {
    throw new TypeError('"list" argument must be an Array of Buffers')
  }

  if (list.length === 0) {
    return Buffer.alloc(0)
  }

  var i
  if (length === undefined) {
    length = 0
    for (i = 0; i < list.length; ++i) {
      length += list[i].length
    }
  }

  var buffer = Buffer.allocUnsafe(length)
  var pos = 0
  for (i = 0; i < list.length; ++i) {
    var buf = list[i]
    if (isInstance(buf, Uint8Array)) {
      buf = Buffer.from(buf)
    }
    if (!Buffer.isBuffer(buf)) {
      throw new TypeError('"list" argument must be an Array of Buffers')
    }
    buf.copy(buffer, pos)
    pos += buf.length
  }
  return buffer
}

function byteLength (string, encoding) {
  if (Buffer.isBuffer(string)) {
    return string.length
  }
  if (ArrayBuffer.isView(string) || isInstance(string, ArrayBuffer)) {
    return string.byteLength
  }
  if (typeof string !== 'string') {
    throw new TypeError(
      'The "string" argument must be one of type string, Buffer, or ArrayBuffer. ' +
      'Received type ' + typeof string
    )
  }

  var len = string.length
  var mustMatch = (arguments.length > 2 && arguments[2] === true)
  if (!mustMatch && len === 0) return 0

  // Use a for loop to avoid recursion
  var loweredCase = false
  for (;;) {
    switch (encoding) {
      case 'ascii':
      case 'latin1':
      case 'binary':
        return len
      case 'utf8':
      case 'utf-8':
        return utf8ToBytes(string).length
      case 'ucs2':
      case 'ucs-2':
      case 'utf16le':
      case 'utf-16le':
        return len * 2
      case 'hex':
        return len >>> 1
      case 'base64':
        return base64ToBytes(string).length
      default:
        if (loweredCase) {
          return mustMatch ? -1 : utf8ToBytes(string).length // assume utf8
        }
        encoding = ('' + encoding).toLowerCase()
        loweredCase = true
    }
  }
}
Buffer.byteLength = byteLength

function slowToString (encoding, start, end) {
  var loweredCase = false

  // No need to verify that "this.length <= MAX_UINT32" since it's a read-only
  // property of a typed array.

  // This behaves neither like String nor Uint8Array in that we set start/end
  // to their upper/lower bounds if the value passed is out of range.
  // undefined is handled specially as per ECMA-262 6th Edition,
  // Section 13.3.3.7 Runtime Semantics: KeyedBindingInitialization.
  if (start === undefined || start < 0) {
    start = 0
  }
  // Return early if start > this.length. Done here to prevent potential uint32
  // coercion fail below.
  if (start > this.length) {
    return ''
  }

  if (end === undefined || end > this.length) {
    end = this.length
  }

  if (end <= 0) {
    return ''
  }

  // Force coersion to uint32. This will also coerce falsey/NaN values to 0.
  end >>>= 0
  start >>>= 0

  if (end <= start) {
    return ''
  }

  if (!encoding) encoding = 'utf8'

  while (true) {
    switch (encoding) {
      case 'hex':
        return hexSlice(this, start, end)

      case 'utf8':
      case 'utf-8':
        return utf8Slice(this, start, end)

      case 'ascii':
        return asciiSlice(this, start, end)

      case 'latin1':
      case 'binary':
        return latin1Slice(this, start, end)

      case 'base64':
        return base64Slice(this, start, end)

      case 'ucs2':
      case 'ucs-2':
      case 'utf16le':
      case 'utf-16le':
        return utf16leSlice(this, start, end)

      default:
        if (loweredCase) throw new TypeError('Unknown encoding: ' + encoding)
        encoding = (encoding + '').toLowerCase()
        loweredCase = true
    }
  }
}

// This property is used by `Buffer.isBuffer` (and the `is-buffer` npm package)
// to detect a Buffer instance. It's not possible to use `instanceof Buffer`
// reliably in a browserify context because there could be multiple different
// copies of the 'buffer' package in use. This method works even for Buffer
// instances that were created from another copy of the `buffer` package.
// See: https://github.com/feross/buffer/issues/154
Buffer.prototype._isBuffer = true

function swap (b, n, m) {
  var i = b[n]
  b[n] = b[m]
  b[m] = i
}

Buffer.prototype.swap16 = function swap16 () {
  var len = this.length
  if (len % 2 !== 0) {
    throw new RangeError('Buffer size must be a multiple of 16-bits')
  }
  for (var i = 0; i < len; i += 2) {
    swap(this, i, i + 1)
  }
  return this
}

Buffer.prototype.swap32 = function swap32 () {
  var len = this.length
  if (len % 4 !== 0) {
    throw new RangeError('Buffer size must be a multiple of 32-bits')
  }
  for (var i = 0; i < len; i += 4) {
    swap(this, i, i + 3)
    swap(this, i + 1, i + 2)
  }
  return this
}

Buffer.prototype.swap64 = function swap64 () {
  var len = this.length
  if (len % 8 !== 0) {
    throw new RangeError('Buffer size must be a multiple of 64-bits')
  }
  for (var i = 0; i < len; i += 8) {
    swap(this, i, i + 7)
    swap(this, i + 1, i + 6)
    swap(this, i + 2, i + 5)
    swap(this, i + 3, i + 4)
  }
  return this
}

Buffer.prototype.toString = function toString () {
  var length = this.length
  if (length === 0) return ''
  if (arguments.length === 0) return utf8Slice(this, 0, length)
  return slowToString.apply(this, arguments)
}

Buffer.prototype.toLocaleString = Buffer.prototype.toString

Buffer.prototype.equals = function equals (b) {
  if (!Buffer.isBuffer(b)) throw new TypeError('Argument must be a Buffer')
  if (this === b) return true
  return Buffer.compare(this, b) === 0
}

Buffer.prototype.inspect = function inspect () {
  var str = ''
  var max = exports.INSPECT_MAX_BYTES
  str = this.toString('hex', 0, max).replace(/(.{2})/g, '$1 ').trim()
  if (this.length > max) str += ' ... '
  return '<Buffer ' + str + '>'
}

Buffer.prototype.compare = function compare (target, start, end, thisStart, thisEnd) {
  if (isInstance(target, Uint8Array)) {
    target = Buffer.from(target, target.offset, target.byteLength)
  }
  if (!Buffer.isBuffer(target)) {
    throw new TypeError(
      'The "target" argument must be one of type Buffer or Uint8Array. ' +
      'Received type ' + (typeof target)
    )
  }

  if (start === undefined) {
    start = 0
  }
  if (end === undefined) {
    end = target ? target.length : 0
  }
  if (thisStart === undefined) {
    thisStart = 0
  }
  if (thisEnd === undefined) {
    thisEnd = this.length
  }

  if (start < 0 || end > target.length || thisStart < 0 || thisEnd > this.length) {
    throw new RangeError('out of range index')
  }

  if (thisStart >= thisEnd && start >= end) {
    return 0
  }
  if (thisStart >= thisEnd) {
    return -1
  }
  if (start >= end) {
    return 1
  }

  start >>>= 0
  end >>>= 0
  thisStart >>>= 0
  thisEnd >>>= 0

  if (this === target) return 0

  var x = thisEnd - thisStart
  var y = end - start
  var len = Math.min(x, y)

  var thisCopy = this.slice(thisStart, thisEnd)
  var targetCopy = target.slice(start, end)

  for (var i = 0; i < len; ++i) {
    if (thisCopy[i] !== targetCopy[i]) {
      x = thisCopy[i]
      y = targetCopy[i]
      break
    }
  }

  if (x < y) return -1
  if (y < x) return 1
  return 0
}

// Finds either the first index of `val` in `buffer` at offset >= `byteOffset`,
// OR the last index of `val` in `buffer` at offset <= `byteOffset`.
//
// Arguments:
// - buffer - a Buffer to search
// - val - a string, Buffer, or number
// - byteOffset - an index into `buffer`; will be clamped to an int32
// - encoding - an optional encoding, relevant is val is a string
// - dir - true for indexOf, false for lastIndexOf
function bidirectionalIndexOf (buffer, val, byteOffset, encoding, dir) {
  // Empty buffer means no match
  if (buffer.length === 0) return -1

  // Normalize byteOffset
  if (typeof byteOffset === 'string') {
    encoding = byteOffset
    byteOffset = 0
  } else if (byteOffset > 0x7fffffff) {
    byteOffset = 0x7fffffff
  } else if (byteOffset < -0x80000000) {
    byteOffset = -0x80000000
  }
  byteOffset = +byteOffset // Coerce to Number.
  if (numberIsNaN(byteOffset)) {
    // byteOffset: it it's undefined, null, NaN, "foo", etc, search whole buffer
    byteOffset = dir ? 0 : (buffer.length - 1)
  }

  // Normalize byteOffset: negative offsets start from the end of the buffer
  if (byteOffset < 0) byteOffset = buffer.length + byteOffset
  if (byteOffset >= buffer.length) {
    if (dir) return -1
    else byteOffset = buffer.length - 1
  } else if (byteOffset < 0) {
    if (dir) byteOffset = 0
    else return -1
  }

  // Normalize val
  if (typeof val === 'string') {
    val = Buffer.from(val, encoding)
  }

  // Finally, search either indexOf (if dir is true) or lastIndexOf
  if (Buffer.isBuffer(val)) {
    // Special case: looking for empty string/buffer always fails
    if (val.length === 0) {
      return -1
    }
    return arrayIndexOf(buffer, val, byteOffset, encoding, dir)
  } else if (typeof val === 'number') {
    val = val & 0xFF // Search for a byte value [0-255]
    if (typeof Uint8Array.prototype.indexOf === 'function') {
      if (dir) {
        return Uint8Array.prototype.indexOf.call(buffer, val, byteOffset)
      } else {
        return Uint8Array.prototype.lastIndexOf.call(buffer, val, byteOffset)
      }
    }
    return arrayIndexOf(buffer, [ val ], byteOffset, encoding, dir)
  }

  throw new TypeError('val must be string, number or Buffer')
}

function arrayIndexOf (arr, val, byteOffset, encoding, dir) {
  var indexSize = 1
  var arrLength = arr.length
  var valLength = val.length

  if (encoding !== undefined) {
    encoding = String(encoding).toLowerCase()
    if (encoding === 'ucs2' || encoding === 'ucs-2' ||
        encoding === 'utf16le' || encoding === 'utf-16le') {
      if (arr.length < 2 || val.length < 2) {
        return -1
      }
      indexSize = 2
      arrLength /= 2
      valLength /= 2
      byteOffset /= 2
    }
  }

  function read (buf, i) {
    if (indexSize === 1) {
      return buf[i]
    } else {
      return buf.readUInt16BE(i * indexSize)
    }
  }

  var i
  if (dir) {
    var foundIndex = -1
    for (i = byteOffset; i < arrLength; i++) {
      if (read(arr, i) === read(val, foundIndex === -1 ? 0 : i - foundIndex)) {
        if (foundIndex === -1) foundIndex = i
        if (i - foundIndex + 1 === valLength) return foundIndex * indexSize
      } else {
        if (foundIndex !== -1) i -= i - foundIndex
        foundIndex = -1
      }
    }
  } else {
    if (byteOffset + valLength > arrLength) byteOffset = arrLength - valLength
    for (i = byteOffset; i >= 0; i--) {
      var found = true
      for (var j = 0; j < valLength; j++) {
        if (read(arr, i + j) !== read(val, j)) {
          found = false
          break
        }
      }
      if (found) return i
    }
  }

  return -1
}

Buffer.prototype.includes = function includes (val, byteOffset, encoding) {
  return this.indexOf(val, byteOffset, encoding) !== -1
}

Buffer.prototype.indexOf = function indexOf (val, byteOffset, encoding) {
  return bidirectionalIndexOf(this, val, byteOffset, encoding, true)
}

Buffer.prototype.lastIndexOf = function lastIndexOf (val, byteOffset, encoding) {
  return bidirectionalIndexOf(this, val, byteOffset, encoding, false)
}

function hexWrite (buf, string, offset, length) {
  offset = Number(offset) || 0
  var remaining = buf.length - offset
  if (!length) {
    length = remaining
  } else {
    length = Number(length)
    if (length > remaining) {
      length = remaining
    }
  }

  var strLen = string.length

  if (length > strLen / 2) {
    length = strLen / 2
  }
  for (var i = 0; i < length; ++i) {
    var parsed = parseInt(string.substr(i * 2, 2), 16)
    if (numberIsNaN(parsed)) return i
    buf[offset + i] = parsed
  }
  return i
}

function utf8Write (buf, string, offset, length) {
  return blitBuffer(utf8ToBytes(string, buf.length - offset), buf, offset, length)
}

function asciiWrite (buf, string, offset, length) {
  return blitBuffer(asciiToBytes(string), buf, offset, length)
}

function latin1Write (buf, string, offset, length) {
  return asciiWrite(buf, string, offset, length)
}

function base64Write (buf, string, offset, length) {
  return blitBuffer(base64ToBytes(string), buf, offset, length)
}

function ucs2Write (buf, string, offset, length) {
  return blitBuffer(utf16leToBytes(string, buf.length - offset), buf, offset, length)
}

Buffer.prototype.write = function write (string, offset, length, encoding) {
  // Buffer#write(string)
  if (offset === undefined) {
    encoding = 'utf8'
    length = this.length
    offset = 0
  // Buffer#write(string, encoding)
  } else if (length === undefined && typeof offset === 'string') {
    encoding = offset
    length = this.length
    offset = 0
  // Buffer#write(string, offset[, length][, encoding])
  } else if (isFinite(offset)) {
    offset = offset >>> 0
    if (isFinite(length)) {
      length = length >>> 0
      if (encoding === undefined) encoding = 'utf8'
    } else {
      encoding = length
      length = undefined
    }
  } else {
    throw new Error(
      'Buffer.write(string, encoding, offset[, length]) is no longer supported'
    )
  }

  var remaining = this.length - offset
  if (length === undefined || length > remaining) length = remaining

  if ((string.length > 0 && (length < 0 || offset < 0)) || offset > this.length) {
    throw new RangeError('Attempt to write outside buffer bounds')
  }

  if (!encoding) encoding = 'utf8'

  var loweredCase = false
  for (;;) {
    switch (encoding) {
      case 'hex':
        return hexWrite(this, string, offset, length)

      case 'utf8':
      case 'utf-8':
        return utf8Write(this, string, offset, length)

      case 'ascii':
        return asciiWrite(this, string, offset, length)

      case 'latin1':
      case 'binary':
        return latin1Write(this, string, offset, length)

      case 'base64':
        // Warning: maxLength not taken into account in base64Write
        return base64Write(this, string, offset, length)

      case 'ucs2':
      case 'ucs-2':
      case 'utf16le':
      case 'utf-16le':
        return ucs2Write(this, string, offset, length)

      default:
        if (loweredCase) throw new TypeError('Unknown encoding: ' + encoding)
        encoding = ('' + encoding).toLowerCase()
        loweredCase = true
    }
  }
}

Buffer.prototype.toJSON = function toJSON () {
  return {
    type: 'Buffer',
    data: Array.prototype.slice.call(this._arr || this, 0)
  }
}

function base64Slice (buf, start, end) {
  if (start === 0 && end === buf.length) {
    return base64.fromByteArray(buf)
  } else {
    return base64.fromByteArray(buf.slice(start, end))
  }
}

function utf8Slice (buf, start, end) {
  end = Math.min(buf.length, end)
  var res = []

  var i = start
  while (i < end) {
    var firstByte = buf[i]
    var codePoint = null
    var bytesPerSequence = (firstByte > 0xEF) ? 4
      : (firstByte > 0xDF) ? 3
        : (firstByte > 0xBF) ? 2
          : 1

    if (i + bytesPerSequence <= end) {
      var secondByte, thirdByte, fourthByte, tempCodePoint

      switch (bytesPerSequence) {
        case 1:
          if (firstByte < 0x80) {
            codePoint = firstByte
          }
          break
        case 2:
          secondByte = buf[i + 1]
          if ((secondByte & 0xC0) === 0x80) {
            tempCodePoint = (firstByte & 0x1F) << 0x6 | (secondByte & 0x3F)
            if (tempCodePoint > 0x7F) {
              codePoint = tempCodePoint
            }
          }
          break
        case 3:
          secondByte = buf[i + 1]
          thirdByte = buf[i + 2]
          if ((secondByte & 0xC0) === 0x80 && (thirdByte & 0xC0) === 0x80) {
            tempCodePoint = (firstByte & 0xF) << 0xC | (secondByte & 0x3F) << 0x6 | (thirdByte & 0x3F)
            if (tempCodePoint > 0x7FF && (tempCodePoint < 0xD800 || tempCodePoint > 0xDFFF)) {
              codePoint = tempCodePoint
            }
          }
          break
        case 4:
          secondByte = buf[i + 1]
          thirdByte = buf[i + 2]
          fourthByte = buf[i + 3]
          if ((secondByte & 0xC0) === 0x80 && (thirdByte & 0xC0) === 0x80 && (fourthByte & 0xC0) === 0x80) {
            tempCodePoint = (firstByte & 0xF) << 0x12 | (secondByte & 0x3F) << 0xC | (thirdByte & 0x3F) << 0x6 | (fourthByte & 0x3F)
            if (tempCodePoint > 0xFFFF && tempCodePoint < 0x110000) {
              codePoint = tempCodePoint
            }
          }
      }
    }

    if (codePoint === null) {
      // we did not generate a valid codePoint so insert a
      // replacement char (U+FFFD) and advance only 1 byte
      codePoint = 0xFFFD
      bytesPerSequence = 1
    } else if (codePoint > 0xFFFF) {
      // encode to utf16 (surrogate pair dance)
      codePoint -= 0x10000
      res.push(codePoint >>> 10 & 0x3FF | 0xD800)
      codePoint = 0xDC00 | codePoint & 0x3FF
    }

    res.push(codePoint)
    i += bytesPerSequence
  }

  return decodeCodePointsArray(res)
}

// Based on http://stackoverflow.com/a/22747272/680742, the browser with
// the lowest limit is Chrome, with 0x10000 args.
// We go 1 magnitude less, for safety
var MAX_ARGUMENTS_LENGTH = 0x1000

function decodeCodePointsArray (codePoints) {
  var len = codePoints.length
  if (len <= MAX_ARGUMENTS_LENGTH) {
    return String.fromCharCode.apply(String, codePoints) // avoid extra slice()
  }

  // Decode in chunks to avoid "call stack size exceeded".
  var res = ''
  var i = 0
  while (i < len) {
    res += String.fromCharCode.apply(
      String,
      codePoints.slice(i, i += MAX_ARGUMENTS_LENGTH)
    )
  }
  return res
}

function asciiSlice (buf, start, end) {
  var ret = ''
  end = Math.min(buf.length, end)

  for (var i = start; i < end; ++i) {
    ret += String.fromCharCode(buf[i] & 0x7F)
  }
  return ret
}

function latin1Slice (buf, start, end) {
  var ret = ''
  end = Math.min(buf.length, end)

  for (var i = start; i < end; ++i) {
    ret += String.fromCharCode(buf[i])
  }
  return ret
}

function hexSlice (buf, start, end) {
  var len = buf.length

  if (!start || start < 0) start = 0
  if (!end || end < 0 || end > len) end = len

  var out = ''
  for (var i = start; i < end; ++i) {
    out += toHex(buf[i])
  }
  return out
}

function utf16leSlice (buf, start, end) {
  var bytes = buf.slice(start, end)
  var res = ''
  for (var i = 0; i < bytes.length; i += 2) {
    res += String.fromCharCode(bytes[i] + (bytes[i + 1] * 256))
  }
  return res
}

Buffer.prototype.slice = function slice (start, end) {
  var len = this.length
  start = ~~start
  end = end === undefined ? len : ~~end

  if (start < 0) {
    start += len
    if (start < 0) start = 0
  } else if (start > len) {
    start = len
  }

  if (end < 0) {
    end += len
    if (end < 0) end = 0
  } else if (end > len) {
    end = len
  }

  if (end < start) end = start

  var newBuf = this.subarray(start, end)
  // Return an augmented `Uint8Array` instance
  newBuf.__proto__ = Buffer.prototype
  return newBuf
}

/*
 * Need to make sure that buffer isn't trying to write out of bounds.
 */
function checkOffset (offset, ext, length) {
  if ((offset % 1) !== 0 || offset < 0) throw new RangeError('offset is not uint')
  if (offset + ext > length) throw new RangeError('Trying to access beyond buffer length')
}

Buffer.prototype.readUIntLE = function readUIntLE (offset, byteLength, noAssert) {
  offset = offset >>> 0
  byteLength = byteLength >>> 0
  if (!noAssert) checkOffset(offset, byteLength, this.length)

  var val = this[offset]
  var mul = 1
  var i = 0
  while (++i < byteLength && (mul *= 0x100)) {
    val += this[offset + i] * mul
  }

  return val
}

Buffer.prototype.readUIntBE = function readUIntBE (offset, byteLength, noAssert) {
  offset = offset >>> 0
  byteLength = byteLength >>> 0
  if (!noAssert) {
    checkOffset(offset, byteLength, this.length)
  }

  var val = this[offset + --byteLength]
  var mul = 1
  while (byteLength > 0 && (mul *= 0x100)) {
    val += this[offset + --byteLength] * mul
  }

  return val
}

Buffer.prototype.readUInt8 = function readUInt8 (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 1, this.length)
  return this[offset]
}

Buffer.prototype.readUInt16LE = function readUInt16LE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 2, this.length)
  return this[offset] | (this[offset + 1] << 8)
}

Buffer.prototype.readUInt16BE = function readUInt16BE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 2, this.length)
  return (this[offset] << 8) | this[offset + 1]
}

Buffer.prototype.readUInt32LE = function readUInt32LE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 4, this.length)

  return ((this[offset]) |
      (this[offset + 1] << 8) |
      (this[offset + 2] << 16)) +
      (this[offset + 3] * 0x1000000)
}

Buffer.prototype.readUInt32BE = function readUInt32BE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 4, this.length)

  return (this[offset] * 0x1000000) +
    ((this[offset + 1] << 16) |
    (this[offset + 2] << 8) |
    this[offset + 3])
}

Buffer.prototype.readIntLE = function readIntLE (offset, byteLength, noAssert) {
  offset = offset >>> 0
  byteLength = byteLength >>> 0
  if (!noAssert) checkOffset(offset, byteLength, this.length)

  var val = this[offset]
  var mul = 1
  var i = 0
  while (++i < byteLength && (mul *= 0x100)) {
    val += this[offset + i] * mul
  }
  mul *= 0x80

  if (val >= mul) val -= Math.pow(2, 8 * byteLength)

  return val
}

Buffer.prototype.readIntBE = function readIntBE (offset, byteLength, noAssert) {
  offset = offset >>> 0
  byteLength = byteLength >>> 0
  if (!noAssert) checkOffset(offset, byteLength, this.length)

  var i = byteLength
  var mul = 1
  var val = this[offset + --i]
  while (i > 0 && (mul *= 0x100)) {
    val += this[offset + --i] * mul
  }
  mul *= 0x80

  if (val >= mul) val -= Math.pow(2, 8 * byteLength)

  return val
}

Buffer.prototype.readInt8 = function readInt8 (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 1, this.length)
  if (!(this[offset] & 0x80)) return (this[offset])
  return ((0xff - this[offset] + 1) * -1)
}

Buffer.prototype.readInt16LE = function readInt16LE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 2, this.length)
  var val = this[offset] | (this[offset + 1] << 8)
  return (val & 0x8000) ? val | 0xFFFF0000 : val
}

Buffer.prototype.readInt16BE = function readInt16BE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 2, this.length)
  var val = this[offset + 1] | (this[offset] << 8)
  return (val & 0x8000) ? val | 0xFFFF0000 : val
}

Buffer.prototype.readInt32LE = function readInt32LE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 4, this.length)

  return (this[offset]) |
    (this[offset + 1] << 8) |
    (this[offset + 2] << 16) |
    (this[offset + 3] << 24)
}

Buffer.prototype.readInt32BE = function readInt32BE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 4, this.length)

  return (this[offset] << 24) |
    (this[offset + 1] << 16) |
    (this[offset + 2] << 8) |
    (this[offset + 3])
}

Buffer.prototype.readFloatLE = function readFloatLE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 4, this.length)
  return ieee754.read(this, offset, true, 23, 4)
}

Buffer.prototype.readFloatBE = function readFloatBE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 4, this.length)
  return ieee754.read(this, offset, false, 23, 4)
}

Buffer.prototype.readDoubleLE = function readDoubleLE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 8, this.length)
  return ieee754.read(this, offset, true, 52, 8)
}

Buffer.prototype.readDoubleBE = function readDoubleBE (offset, noAssert) {
  offset = offset >>> 0
  if (!noAssert) checkOffset(offset, 8, this.length)
  return ieee754.read(this, offset, false, 52, 8)
}

function checkInt (buf, value, offset, ext, max, min) {
  if (!Buffer.isBuffer(buf)) throw new TypeError('"buffer" argument must be a Buffer instance')
  if (value > max || value < min) throw new RangeError('"value" argument is out of bounds')
  if (offset + ext > buf.length) throw new RangeError('Index out of range')
}

Buffer.prototype.writeUIntLE = function writeUIntLE (value, offset, byteLength, noAssert) {
  value = +value
  offset = offset >>> 0
  byteLength = byteLength >>> 0
  if (!noAssert) {
    var maxBytes = Math.pow(2, 8 * byteLength) - 1
    checkInt(this, value, offset, byteLength, maxBytes, 0)
  }

  var mul = 1
  var i = 0
  this[offset] = value & 0xFF
  while (++i < byteLength && (mul *= 0x100)) {
    this[offset + i] = (value / mul) & 0xFF
  }

  return offset + byteLength
}

Buffer.prototype.writeUIntBE = function writeUIntBE (value, offset, byteLength, noAssert) {
  value = +value
  offset = offset >>> 0
  byteLength = byteLength >>> 0
  if (!noAssert) {
    var maxBytes = Math.pow(2, 8 * byteLength) - 1
    checkInt(this, value, offset, byteLength, maxBytes, 0)
  }

  var i = byteLength - 1
  var mul = 1
  this[offset + i] = value & 0xFF
  while (--i >= 0 && (mul *= 0x100)) {
    this[offset + i] = (value / mul) & 0xFF
  }

  return offset + byteLength
}

Buffer.prototype.writeUInt8 = function writeUInt8 (value, offset, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) checkInt(this, value, offset, 1, 0xff, 0)
  this[offset] = (value & 0xff)
  return offset + 1
}

Buffer.prototype.writeUInt16LE = function writeUInt16LE (value, offset, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) checkInt(this, value, offset, 2, 0xffff, 0)
  this[offset] = (value & 0xff)
  this[offset + 1] = (value >>> 8)
  return offset + 2
}

Buffer.prototype.writeUInt16BE = function writeUInt16BE (value, offset, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) checkInt(this, value, offset, 2, 0xffff, 0)
  this[offset] = (value >>> 8)
  this[offset + 1] = (value & 0xff)
  return offset + 2
}

Buffer.prototype.writeUInt32LE = function writeUInt32LE (value, offset, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) checkInt(this, value, offset, 4, 0xffffffff, 0)
  this[offset + 3] = (value >>> 24)
  this[offset + 2] = (value >>> 16)
  this[offset + 1] = (value >>> 8)
  this[offset] = (value & 0xff)
  return offset + 4
}

Buffer.prototype.writeUInt32BE = function writeUInt32BE (value, offset, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) checkInt(this, value, offset, 4, 0xffffffff, 0)
  this[offset] = (value >>> 24)
  this[offset + 1] = (value >>> 16)
  this[offset + 2] = (value >>> 8)
  this[offset + 3] = (value & 0xff)
  return offset + 4
}

Buffer.prototype.writeIntLE = function writeIntLE (value, offset, byteLength, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) {
    var limit = Math.pow(2, (8 * byteLength) - 1)

    checkInt(this, value, offset, byteLength, limit - 1, -limit)
  }

  var i = 0
  var mul = 1
  var sub = 0
  this[offset] = value & 0xFF
  while (++i < byteLength && (mul *= 0x100)) {
    if (value < 0 && sub === 0 && this[offset + i - 1] !== 0) {
      sub = 1
    }
    this[offset + i] = ((value / mul) >> 0) - sub & 0xFF
  }

  return offset + byteLength
}

Buffer.prototype.writeIntBE = function writeIntBE (value, offset, byteLength, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) {
    var limit = Math.pow(2, (8 * byteLength) - 1)

    checkInt(this, value, offset, byteLength, limit - 1, -limit)
  }

  var i = byteLength - 1
  var mul = 1
  var sub = 0
  this[offset + i] = value & 0xFF
  while (--i >= 0 && (mul *= 0x100)) {
    if (value < 0 && sub === 0 && this[offset + i + 1] !== 0) {
      sub = 1
    }
    this[offset + i] = ((value / mul) >> 0) - sub & 0xFF
  }

  return offset + byteLength
}

Buffer.prototype.writeInt8 = function writeInt8 (value, offset, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) checkInt(this, value, offset, 1, 0x7f, -0x80)
  if (value < 0) value = 0xff + value + 1
  this[offset] = (value & 0xff)
  return offset + 1
}

Buffer.prototype.writeInt16LE = function writeInt16LE (value, offset, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) checkInt(this, value, offset, 2, 0x7fff, -0x8000)
  this[offset] = (value & 0xff)
  this[offset + 1] = (value >>> 8)
  return offset + 2
}

Buffer.prototype.writeInt16BE = function writeInt16BE (value, offset, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) checkInt(this, value, offset, 2, 0x7fff, -0x8000)
  this[offset] = (value >>> 8)
  this[offset + 1] = (value & 0xff)
  return offset + 2
}

Buffer.prototype.writeInt32LE = function writeInt32LE (value, offset, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) checkInt(this, value, offset, 4, 0x7fffffff, -0x80000000)
  this[offset] = (value & 0xff)
  this[offset + 1] = (value >>> 8)
  this[offset + 2] = (value >>> 16)
  this[offset + 3] = (value >>> 24)
  return offset + 4
}

Buffer.prototype.writeInt32BE = function writeInt32BE (value, offset, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) checkInt(this, value, offset, 4, 0x7fffffff, -0x80000000)
  if (value < 0) value = 0xffffffff + value + 1
  this[offset] = (value >>> 24)
  this[offset + 1] = (value >>> 16)
  this[offset + 2] = (value >>> 8)
  this[offset + 3] = (value & 0xff)
  return offset + 4
}

function checkIEEE754 (buf, value, offset, ext, max, min) {
  if (offset + ext > buf.length) throw new RangeError('Index out of range')
  if (offset < 0) throw new RangeError('Index out of range')
}

function writeFloat (buf, value, offset, littleEndian, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) {
    checkIEEE754(buf, value, offset, 4, 3.4028234663852886e+38, -3.4028234663852886e+38)
  }
  ieee754.write(buf, value, offset, littleEndian, 23, 4)
  return offset + 4
}

Buffer.prototype.writeFloatLE = function writeFloatLE (value, offset, noAssert) {
  return writeFloat(this, value, offset, true, noAssert)
}

Buffer.prototype.writeFloatBE = function writeFloatBE (value, offset, noAssert) {
  return writeFloat(this, value, offset, false, noAssert)
}

function writeDouble (buf, value, offset, littleEndian, noAssert) {
  value = +value
  offset = offset >>> 0
  if (!noAssert) {
    checkIEEE754(buf, value, offset, 8, 1.7976931348623157E+308, -1.7976931348623157E+308)
  }
  ieee754.write(buf, value, offset, littleEndian, 52, 8)
  return offset + 8
}

Buffer.prototype.writeDoubleLE = function writeDoubleLE (value, offset, noAssert) {
  return writeDouble(this, value, offset, true, noAssert)
}

Buffer.prototype.writeDoubleBE = function writeDoubleBE (value, offset, noAssert) {
  return writeDouble(this, value, offset, false, noAssert)
}

// copy(targetBuffer, targetStart=0, sourceStart=0, sourceEnd=buffer.length)
Buffer.prototype.copy = function copy (target, targetStart, start, end) {
  if (!Buffer.isBuffer(target)) throw new TypeError('argument should be a Buffer')
  if (!start) start = 0
  if (!end && end !== 0) end = this.length
  if (targetStart >= target.length) targetStart = target.length
  if (!targetStart) targetStart = 0
  if (end > 0 && end < start) end = start

  // Copy 0 bytes; we're done
  if (end === start) return 0
  if (target.length === 0 || this.length === 0) return 0

  // Fatal error conditions
  if (targetStart < 0) {
    throw new RangeError('targetStart out of bounds')
  }
  if (start < 0 || start >= this.length) throw new RangeError('Index out of range')
  if (end < 0) throw new RangeError('sourceEnd out of bounds')

  // Are we oob?
  if (end > this.length) end = this.length
  if (target.length - targetStart < end - start) {
    end = target.length - targetStart + start
  }

  var len = end - start

  if (this === target && typeof Uint8Array.prototype.copyWithin === 'function') {
    // Use built-in when available, missing from IE11
    this.copyWithin(targetStart, start, end)
  } else if (this === target && start < targetStart && targetStart < end) {
    // descending copy from end
    for (var i = len - 1; i >= 0; --i) {
      target[i + targetStart] = this[i + start]
    }
  } else {
    Uint8Array.prototype.set.call(
      target,
      this.subarray(start, end),
      targetStart
    )
  }

  return len
}

// Usage:
//    buffer.fill(number[, offset[, end]])
//    buffer.fill(buffer[, offset[, end]])
//    buffer.fill(string[, offset[, end]][, encoding])
Buffer.prototype.fill = function fill (val, start, end, encoding) {
  // Handle string cases:
  if (typeof val === 'string') {
    if (typeof start === 'string') {
      encoding = start
      start = 0
      end = this.length
    } else if (typeof end === 'string') {
      encoding = end
      end = this.length
    }
    if (encoding !== undefined && typeof encoding !== 'string') {
      throw new TypeError('encoding must be a string')
    }
    if (typeof encoding === 'string' && !Buffer.isEncoding(encoding)) {
      throw new TypeError('Unknown encoding: ' + encoding)
    }
    if (val.length === 1) {
      var code = val.charCodeAt(0)
      if ((encoding === 'utf8' && code < 128) ||
          encoding === 'latin1') {
        // Fast path: If `val` fits into a single byte, use that numeric value.
        val = code
      }
    }
  } else if (typeof val === 'number') {
    val = val & 255
  }

  // Invalid ranges are not set to a default, so can range check early.
  if (start < 0 || this.length < start || this.length < end) {
    throw new RangeError('Out of range index')
  }

  if (end <= start) {
    return this
  }

  start = start >>> 0
  end = end === undefined ? this.length : end >>> 0

  if (!val) val = 0

  var i
  if (typeof val === 'number') {
    for (i = start; i < end; ++i) {
      this[i] = val
    }
  } else {
    var bytes = Buffer.isBuffer(val)
      ? val
      : Buffer.from(val, encoding)
    var len = bytes.length
    if (len === 0) {
      throw new TypeError('The value "' + val +
        '" is invalid for argument "value"')
    }
    for (i = 0; i < end - start; ++i) {
      this[i + start] = bytes[i % len]
    }
  }

  return this
}

// HELPER FUNCTIONS
// ================

var INVALID_BASE64_RE = /[^+/0-9A-Za-z-_]/g

function base64clean (str) {
  // Node takes equal signs as end of the Base64 encoding
  str = str.split('=')[0]
  // Node strips out invalid characters like \n and \t from the string, base64-js does not
  str = str.trim().replace(INVALID_BASE64_RE, '')
  // Node converts strings with length < 2 to ''
  if (str.length < 2) return ''
  // Node allows for non-padded base64 strings (missing trailing ===), base64-js does not
  while (str.length % 4 !== 0) {
    str = str + '='
  }
  return str
}

function toHex (n) {
  if (n < 16) return '0' + n.toString(16)
  return n.toString(16)
}

function utf8ToBytes (string, units) {
  units = units || Infinity
  var codePoint
  var length = string.length
  var leadSurrogate = null
  var bytes = []

  for (var i = 0; i < length; ++i) {
    codePoint = string.charCodeAt(i)

    // is surrogate component
    if (codePoint > 0xD7FF && codePoint < 0xE000) {
      // last char was a lead
      if (!leadSurrogate) {
        // no lead yet
        if (codePoint > 0xDBFF) {
          // unexpected trail
          if ((units -= 3) > -1) bytes.push(0xEF, 0xBF, 0xBD)
          continue
        } else if (i + 1 === length) {
          // unpaired lead
          if ((units -= 3) > -1) bytes.push(0xEF, 0xBF, 0xBD)
          continue
        }

        // valid lead
        leadSurrogate = codePoint

        continue
      }

      // 2 leads in a row
      if (codePoint < 0xDC00) {
        if ((units -= 3) > -1) bytes.push(0xEF, 0xBF, 0xBD)
        leadSurrogate = codePoint
        continue
      }

      // valid surrogate pair
      codePoint = (leadSurrogate - 0xD800 << 10 | codePoint - 0xDC00) + 0x10000
    } else if (leadSurrogate) {
      // valid bmp char, but last char was a lead
      if ((units -= 3) > -1) bytes.push(0xEF, 0xBF, 0xBD)
    }

    leadSurrogate = null

    // encode utf8
    if (codePoint < 0x80) {
      if ((units -= 1) < 0) break
      bytes.push(codePoint)
    } else if (codePoint < 0x800) {
      if ((units -= 2) < 0) break
      bytes.push(
        codePoint >> 0x6 | 0xC0,
        codePoint & 0x3F | 0x80
      )
    } else if (codePoint < 0x10000) {
      if ((units -= 3) < 0) break
      bytes.push(
        codePoint >> 0xC | 0xE0,
        codePoint >> 0x6 & 0x3F | 0x80,
        codePoint & 0x3F | 0x80
      )
    } else if (codePoint < 0x110000) {
      if ((units -= 4) < 0) break
      bytes.push(
        codePoint >> 0x12 | 0xF0,
        codePoint >> 0xC & 0x3F | 0x80,
        codePoint >> 0x6 & 0x3F | 0x80,
        codePoint & 0x3F | 0x80
      )
    } else {
      throw new Error('Invalid code point')
    }
  }

  return bytes
}

function asciiToBytes (str) {
  var byteArray = []
  for (var i = 0; i < str.length; ++i) {
    // Node's code seems to be doing this and not & 0x7F..
    byteArray.push(str.charCodeAt(i) & 0xFF)
  }
  return byteArray
}

function utf16leToBytes (str, units) {
  var c, hi, lo
  var byteArray = []
  for (var i = 0; i < str.length; ++i) {
    if ((units -= 2) < 0) break

    c = str.charCodeAt(i)
    hi = c >> 8
    lo = c % 256
    byteArray.push(lo)
    byteArray.push(hi)
  }

  return byteArray
}

function base64ToBytes (str) {
  return base64.toByteArray(base64clean(str))
}

function blitBuffer (src, dst, offset, length) {
  for (var i = 0; i < length; ++i) {
    if ((i + offset >= dst.length) || (i >= src.length)) break
    dst[i + offset] = src[i]
  }
  return i
}

// ArrayBuffer or Uint8Array objects from other contexts (i.e. iframes) do not pass
// the `instanceof` check but they should be treated as of that type.
// See: https://github.com/feross/buffer/issues/166
function isInstance (obj, type) {
  return obj instanceof type ||
    (obj != null && obj.constructor != null && obj.constructor.name != null &&
      obj.constructor.name === type.name)
}
function numberIsNaN (obj) {
  // For IE11 support
  return obj !== obj // eslint-disable-line no-self-compare
}

}).call(this)}).call(this,require("buffer").Buffer)
},{"base64-js":17,"buffer":20,"ieee754":29}],21:[function(require,module,exports){
'use strict';

var Gost = require('./lib/gost89.js');
var Dstu = require('./lib/dstu.js');
var Hash = require('./lib/hash.js');
var PRNG = require('./lib/prng.js');

var util = require('./lib/util.js');
var keywrap = require('./lib/keywrap.js');
var compat = require('./lib/compat.js');

module.exports = {
    init: Gost.init,
    PRNG: PRNG,
    Hash: Hash,
    gosthash: Hash.gosthash,
    dumb_kdf: util.dumb_kdf,
    pbkdf: util.pbkdf,
    wrap_key: keywrap.wrap,
    unwrap_key: keywrap.unwrap,
    compat: compat,
};

},{"./lib/compat.js":22,"./lib/dstu.js":23,"./lib/gost89.js":24,"./lib/hash.js":25,"./lib/keywrap.js":26,"./lib/prng.js":27,"./lib/util.js":28}],22:[function(require,module,exports){
'use strict';

var Buffer = require('buffer').Buffer;

var keywrap = require('./keywrap.js'),
    util = require('./util.js'),
    Gost = require('./gost89.js'),
    Hash = require('./hash.js'),
    dstu = require('./dstu.js');

var convert_password = function (parsed, pw) {
    if (parsed.format === 'IIT') {
        return util.dumb_kdf(pw, 10000);
    }
    if (parsed.format === 'PBES2') {
        return util.pbkdf(pw, parsed.salt, parsed.iters);
    }

    throw new Error("Failed to convert key");
};

var decode_data = function (parsed, pw) {
    var bkey;

    var ctx = Gost.init();
    var buf, obuf;
    bkey = convert_password(parsed, pw, true);
    ctx.key(bkey);

    if (parsed.format === 'IIT') {
        buf = Buffer.concat([parsed.body, parsed.pad]);
        obuf = Buffer.alloc(buf.length);
        ctx.decrypt(buf, obuf);
        return obuf.slice(0, parsed.body.length);
    }
    if (parsed.format === 'PBES2') {
        buf = parsed.body;
        obuf = Buffer.alloc(buf.length);
        ctx.decrypt_cfb(parsed.iv, buf, obuf);
        return obuf;
    }
};

var encode_data = function (raw, format, pw, iv, salt) {
    const ctx = Gost.init();
    if (format === 'PBES2') {
        const iters = 10000;
        const sbox = dstu.packSbox(dstu.defaultSbox);
        const bkey = convert_password({iters, salt, format}, pw, true);
        ctx.key(bkey);
        const obuf = Buffer.alloc(raw.length);
        ctx.crypt_cfb(iv, raw, obuf);
        return {format, iv, salt, iters, body: obuf, sbox};
    }
};

var compute_hash = function (contents) {
    return Hash.gosthash(contents);
};

var gost_unwrap = function (kek, inp) {
    return keywrap.unwrap(inp, kek);
};

var gost_keywrap = function (kek, inp, iv) {
    return keywrap.wrap(inp, kek, iv);
};

var gost_kdf = function (buffer) {
    return compute_hash(buffer);
};

var gost_crypt = function (mode, inp, key, iv) {
    var ctx = Gost.init();
    ctx.key(key);
    if (mode) {
        return ctx.decrypt_cfb(iv, inp);
    } else {
        return ctx.crypt_cfb(iv, inp);
    }
};

var gost_decrypt_cfb = function(cypher, key, iv) {
    return gost_crypt(1, cypher, key, iv);
};

var gost_encrypt_cfb = function(cypher, key, iv) {
    return gost_crypt(0, cypher, key, iv);
};

module.exports.decode_data = decode_data;
module.exports.convert_password = convert_password;
module.exports.compute_hash = compute_hash;
module.exports.gost_kdf = gost_kdf;
module.exports.gost_unwrap = gost_unwrap;
module.exports.gost_keywrap = gost_keywrap;
module.exports.gost_decrypt_cfb = gost_decrypt_cfb;
module.exports.gost_encrypt_cfb = gost_encrypt_cfb;
module.exports.algos = function () {
    return {
        kdf: gost_kdf,
        keywrap: gost_keywrap,
        keyunwrap: gost_unwrap,
        encrypt: gost_encrypt_cfb,
        decrypt: gost_decrypt_cfb,
        hash: compute_hash,
        storeload: decode_data,
        storesave: encode_data,
    };
};

},{"./dstu.js":23,"./gost89.js":24,"./hash.js":25,"./keywrap.js":26,"./util.js":28,"buffer":20}],23:[function(require,module,exports){
'use strict';

var Buffer = require('buffer').Buffer;
var DKU = Buffer.from('0102030E060D0B080F0A0C050709000403080B0506040E0A020C0107090F0D0002080907050F000B0C010D0E0A0306040F080E090702000D0C0601050B04030A03080D09060B0F0002050C0A040E01070F0605080E0B0A040C0003070209010D08000C040906070B0203010F050E0A0D0A090D060E0B04050F01030C07000802', 'hex');


function packSbox(input) {
  const ret = Buffer.alloc(input.length / 2);
  const rows = input.length & 0xF0;
  for (let idx=0; idx<input.length; idx+=2) {
    let retIdx = (rows - 0x10 - (idx & 0xF0)) | idx & 0x0F;
    ret[retIdx >> 1] = input[idx] << 4 | input[idx+1];
  }
  return ret;
}

module.exports = {
    defaultSbox: DKU,
    packSbox,
};

},{"buffer":20}],24:[function(require,module,exports){
(function (global){(function (){
'use strict';

var Buffer = require('buffer').Buffer;
var Dstu = require('./dstu.js');

var Subst = function (data, mem) {
    this.k8 = mem.subarray(0, 16);
    this.k7 = mem.subarray(16, 32);
    this.k6 = mem.subarray(32, 48);
    this.k5 = mem.subarray(48, 64);
    this.k4 = mem.subarray(64, 80);
    this.k3 = mem.subarray(80, 96);
    this.k2 = mem.subarray(96, 112);
    this.k1 = mem.subarray(112, 128);

    var idx;

    for (idx = 0; idx < mem.length; idx++) {
        mem[idx] = data[idx];
    }
};

var Gost = function (sbox) {
    var mem = new global.Uint32Array(1162);

    this.k = mem.subarray(0, 8);
    this.k87 = mem.subarray(8, 264);
    this.k65 = mem.subarray(264, 520);
    this.k43 = mem.subarray(520, 776);
    this.k21 = mem.subarray(776, 1032);

    if (! (sbox instanceof Subst)) {
        sbox = new Subst(sbox, mem.subarray(1032, 1160));
    }
    this.n = mem.subarray(1160, 1162);


    this.boxinit(sbox);
};

Gost.prototype.boxinit = function (sbox) {
    var i;

    for (i = 0; i < 256; i++) {
        this.k87[i] = (sbox.k8[i>>>4] <<4 | sbox.k7 [i &15])<<24;
        this.k65[i] = (sbox.k6[i>>>4] << 4 | sbox.k5 [i &15])<<16;
        this.k43[i] = (sbox.k4[i>>>4] <<4  | sbox.k3 [i &15])<<8;
        this.k21[i] = sbox.k2[i>>>4] <<4  | sbox.k1 [i &15];
    }
};

Gost.prototype.pass = function (x) {
    x = this.k87[x>>>24 & 255] | this.k65[x>>>16 & 255]|
        this.k43[x>>> 8 & 255] | this.k21[x & 255];
    /* Rotate left 11 bits */
    return x<<11 | x>>>(32-11);
};

Gost.prototype.crypt64 = function (clear, out) {
    var n = this.n;
    n[0] = clear[0]|(clear[1]<<8)|(clear[2]<<16)|(clear[3]<<24);
    n[1] = clear[4]|(clear[5]<<8)|(clear[6]<<16)|(clear[7]<<24);
    /* Instead of swappclearg halves, swap names each round */

    n[1] ^= this.pass(n[0]+this.k[0]); n[0] ^= this.pass(n[1]+this.k[1]);
    n[1] ^= this.pass(n[0]+this.k[2]); n[0] ^= this.pass(n[1]+this.k[3]);
    n[1] ^= this.pass(n[0]+this.k[4]); n[0] ^= this.pass(n[1]+this.k[5]);
    n[1] ^= this.pass(n[0]+this.k[6]); n[0] ^= this.pass(n[1]+this.k[7]);

    n[1] ^= this.pass(n[0]+this.k[0]); n[0] ^= this.pass(n[1]+this.k[1]);
    n[1] ^= this.pass(n[0]+this.k[2]); n[0] ^= this.pass(n[1]+this.k[3]);
    n[1] ^= this.pass(n[0]+this.k[4]); n[0] ^= this.pass(n[1]+this.k[5]);
    n[1] ^= this.pass(n[0]+this.k[6]); n[0] ^= this.pass(n[1]+this.k[7]);

    n[1] ^= this.pass(n[0]+this.k[0]); n[0] ^= this.pass(n[1]+this.k[1]);
    n[1] ^= this.pass(n[0]+this.k[2]); n[0] ^= this.pass(n[1]+this.k[3]);
    n[1] ^= this.pass(n[0]+this.k[4]); n[0] ^= this.pass(n[1]+this.k[5]);
    n[1] ^= this.pass(n[0]+this.k[6]); n[0] ^= this.pass(n[1]+this.k[7]);

    n[1] ^= this.pass(n[0]+this.k[7]); n[0] ^= this.pass(n[1]+this.k[6]);
    n[1] ^= this.pass(n[0]+this.k[5]); n[0] ^= this.pass(n[1]+this.k[4]);
    n[1] ^= this.pass(n[0]+this.k[3]); n[0] ^= this.pass(n[1]+this.k[2]);
    n[1] ^= this.pass(n[0]+this.k[1]); n[0] ^= this.pass(n[1]+this.k[0]);

    out[0] = n[1]&0xff;  out[1] = (n[1]>>>8)&0xff;
    out[2] = (n[1]>>>16)&0xff; out[3]=n[1]>>>24;
    out[4] = n[0]&0xff;  out[5] = (n[0]>>>8)&0xff;
    out[6] = (n[0]>>>16)&0xff; out[7] = n[0]>>>24;
};

Gost.prototype.decrypt64 = function (crypt, out) {
    var n = this.n;
    n[0] = crypt[0]|(crypt[1]<<8)|(crypt[2]<<16)|(crypt[3]<<24);
    n[1] = crypt[4]|(crypt[5]<<8)|(crypt[6]<<16)|(crypt[7]<<24);

    n[1] ^= this.pass(n[0]+this.k[0]); n[0] ^= this.pass(n[1]+this.k[1]);
    n[1] ^= this.pass(n[0]+this.k[2]); n[0] ^= this.pass(n[1]+this.k[3]);
    n[1] ^= this.pass(n[0]+this.k[4]); n[0] ^= this.pass(n[1]+this.k[5]);
    n[1] ^= this.pass(n[0]+this.k[6]); n[0] ^= this.pass(n[1]+this.k[7]);

    n[1] ^= this.pass(n[0]+this.k[7]); n[0] ^= this.pass(n[1]+this.k[6]);
    n[1] ^= this.pass(n[0]+this.k[5]); n[0] ^= this.pass(n[1]+this.k[4]);
    n[1] ^= this.pass(n[0]+this.k[3]); n[0] ^= this.pass(n[1]+this.k[2]);
    n[1] ^= this.pass(n[0]+this.k[1]); n[0] ^= this.pass(n[1]+this.k[0]);

    n[1] ^= this.pass(n[0]+this.k[7]); n[0] ^= this.pass(n[1]+this.k[6]);
    n[1] ^= this.pass(n[0]+this.k[5]); n[0] ^= this.pass(n[1]+this.k[4]);
    n[1] ^= this.pass(n[0]+this.k[3]); n[0] ^= this.pass(n[1]+this.k[2]);
    n[1] ^= this.pass(n[0]+this.k[1]); n[0] ^= this.pass(n[1]+this.k[0]);

    n[1] ^= this.pass(n[0]+this.k[7]); n[0] ^= this.pass(n[1]+this.k[6]);
    n[1] ^= this.pass(n[0]+this.k[5]); n[0] ^= this.pass(n[1]+this.k[4]);
    n[1] ^= this.pass(n[0]+this.k[3]); n[0] ^= this.pass(n[1]+this.k[2]);
    n[1] ^= this.pass(n[0]+this.k[1]); n[0] ^= this.pass(n[1]+this.k[0]);

    out[0] = (n[1]&0xff);  out[1] = ((n[1]>>>8)&0xff);
    out[2] = ((n[1]>>>16)&0xff); out[3]=(n[1]>>>24);
    out[4] = (n[0]&0xff);  out[5] = ((n[0]>>>8)&0xff);
    out[6] = ((n[0]>>>16)&0xff); out[7] = (n[0]>>>24);
};

Gost.prototype.crypt64_cfb = function (iv, clear, out) {
    var j;
    var gamma = this.gamma;

    this.crypt64(iv, gamma);
    for (j = 0; j < 8; j++) {
        out[j] = clear[j] ^ gamma[j];
        iv[j] = out[j];
    }
};

Gost.prototype.decrypt64_cfb = function (iv, ctext, clear) {
    var j;
    var gamma = this.gamma;

    this.crypt64(iv, gamma);
    for (j = 0; j < 8; j++) {
        iv[j] = ctext[j];
        clear[j] = ctext[j] ^ gamma[j];
    }
};

Gost.prototype.crypt_cfb = function (iv, clear, out) {
    var blocks, idx, off;

    this.gamma = new global.Uint8Array(8);
    var cur_iv = new global.Uint8Array(8);
    for (idx=0; idx < 8; idx++) {
        cur_iv[idx] = iv[idx];
    }

    blocks = Math.ceil(clear.length  / 8);
    if (!blocks) {
        return;
    }

    if (!out) {
        out = Buffer.alloc(blocks * 8);
    }
    if (!Buffer.isBuffer(out)) {
        throw new Error("Either pass output buffer or nothing");
    }

    if (!Buffer.isBuffer(clear)) {
        clear = Buffer.from(clear, 'binary');
    }

    idx = 0;
    while (idx < blocks) {
        off = idx++ * 8;
        this.crypt64_cfb(cur_iv, clear.slice(off, off + 8), out.slice(off, off + 8));
    }
    if (out.length !== clear.length) {
        out = Buffer.from(out.slice(0, clear.length));
    }
    return out;
};

Gost.prototype.decrypt_cfb = function (iv, ctext, clear) {
    var blocks, idx, off;

    this.gamma = new global.Uint8Array(8);
    var cur_iv = new global.Uint8Array(8);
    for (idx=0; idx < 8; idx++) {
        cur_iv[idx] = iv[idx];
    }

    blocks = Math.ceil(ctext.length  / 8);
    if (!blocks) {
        return;
    }
    if (!clear) {
        clear = Buffer.alloc(blocks * 8);
    }
    if (!Buffer.isBuffer(clear)) {
        throw new Error("Either pass output buffer");
    }

    if (!Buffer.isBuffer(ctext)) {
        ctext = Buffer.from(ctext, 'binary');
    }

    idx = 0;
    while (idx < blocks) {
        off = idx++ * 8;
        this.decrypt64_cfb(cur_iv, ctext.slice(off, off + 8), clear.slice(off, off + 8));
    }
    if (clear.length !== ctext.length) {
        clear = Buffer.from(clear.slice(0, ctext.length));
    }
    return clear;
};

Gost.prototype.crypt = function (clear, out) {
    var blocks, off, idx;

    blocks = Math.ceil(clear.length  / 8);
    if (!blocks) {
        return;
    }

    if (!Buffer.isBuffer(clear)) {
        clear = Buffer.from(clear, 'binary');
    }
    if (!out) {
        out = Buffer.alloc(blocks * 8);
    }
    if (!Buffer.isBuffer(out)) {
        throw new Error("Either pass output buffer or nothing");
    }

    idx = 0;
    while (idx < blocks) {
        off = idx++ * 8;
        this.crypt64(clear.slice(off, off + 8), out.slice(off, off + 8));
    }

    if (out.length !== clear.length) {
        out = Buffer.from(out.slice(0, clear.length));
    }
    return out;

};

Gost.prototype.decrypt = function (cypher, clear) {
    var blocks, off;

    blocks = Math.ceil(cypher.length  / 8);
    if (!blocks) {
        return;
    }

    if (!Buffer.isBuffer(clear)) {
        clear = Buffer.alloc(blocks * 8);
    }
    if (!Buffer.isBuffer(cypher)) {
        cypher = Buffer.from(cypher, 'binary');
    }

    while (blocks--) {
        off = blocks * 8;
        this.decrypt64(cypher.slice(off, off + 8), clear.slice(off, off + 8));
    }

    if (clear.length !== cypher.length) {
        clear = Buffer.from(clear.slice(0, cypher.length));
    }
    return clear;
};

Gost.prototype.key = function (k) {
    var i, j;
    for(i=0,j=0; i<8; i++,j+=4)  {
        this.k[i] = k[j] | (k[j+1]<<8) | (k[j+2]<<16) | (k[j+3]<<24);
    }
};

Gost.prototype.mac = function (len, data, out) {
    var buf = new global.Uint8Array(8),
        buf2 = new global.Uint8Array(8);

    if (!Buffer.isBuffer(data)) {
        data = Buffer.from(data, 'binary');
    }

    var i;
    for (i=0;i+8 <= data.length; i+=8) {
        this.mac64(buf, data.slice(i, i+8));
    }

    if (i < data.length) {
        data = data.slice(i);
        for (i=0; i<data.length; i++) {
            buf2[i] = data[i];
        }
        this.mac64(buf, buf2);
    }

    if (i === 8) {
        for (i=0; i<buf2.length; i++) {
            buf2[i] = 0;
        }
        this.mac64(buf, buf2);
    }

    return this.mac_out(buf, len, out);
};

Gost.prototype.mac_out = function (buf, nbits, out) {
    var nbytes= nbits >>> 3;
    var rembits = nbits & 7;
    var mask =rembits?((1<rembits)-1):0;
    var i;
    if (!out) {
        out = Buffer.alloc(nbytes);
    }
    if (!Buffer.isBuffer(out)) {
        throw new Error("Either pass output buffer or nothing");
    }
    for (i=0;i<nbytes;i++) {
        out[i] = buf[i];
    }
    if (rembits) {
        out[i] = buf[i] & mask;
    }
    return out;

};

Gost.prototype.mac64 = function (buffer, block) {
    var n = this.n;
    var i;
    for (i=0; i<8; i++)
    {
        buffer[i]^=block[i];
    }
    n[0] = buffer[0]|(buffer[1]<<8)|(buffer[2]<<16)|(buffer[3]<<24);
    n[1] = buffer[4]|(buffer[5]<<8)|(buffer[6]<<16)|(buffer[7]<<24);
    /* Instead of swapping halves, swap names each round */

    n[1] ^= this.pass(n[0]+this.k[0]); n[0] ^= this.pass(n[1]+this.k[1]);
    n[1] ^= this.pass(n[0]+this.k[2]); n[0] ^= this.pass(n[1]+this.k[3]);
    n[1] ^= this.pass(n[0]+this.k[4]); n[0] ^= this.pass(n[1]+this.k[5]);
    n[1] ^= this.pass(n[0]+this.k[6]); n[0] ^= this.pass(n[1]+this.k[7]);

    n[1] ^= this.pass(n[0]+this.k[0]); n[0] ^= this.pass(n[1]+this.k[1]);
    n[1] ^= this.pass(n[0]+this.k[2]); n[0] ^= this.pass(n[1]+this.k[3]);
    n[1] ^= this.pass(n[0]+this.k[4]); n[0] ^= this.pass(n[1]+this.k[5]);
    n[1] ^= this.pass(n[0]+this.k[6]); n[0] ^= this.pass(n[1]+this.k[7]);

    buffer[0] = n[0] & 0xff;  buffer[1] = (n[0] >>> 8) &0xff;
    buffer[2] = (n[0] >>> 16) &0xff; buffer[3] = n[0] >>> 24;
    buffer[4] = n[1] & 0xff;  buffer[5] = (n[1] >>> 8) & 0xff;
    buffer[6] = (n[1] >>> 16) & 0xff; buffer[7] = n[1] >>> 24;
};

module.exports = Gost;
module.exports.Subst = Subst;
module.exports.init = function (sbox) {
    if (sbox === undefined) {
        sbox = Dstu.defaultSbox;
    }
    return new Gost(sbox);
};

}).call(this)}).call(this,typeof global !== "undefined" ? global : typeof self !== "undefined" ? self : typeof window !== "undefined" ? window : {})
},{"./dstu.js":23,"buffer":20}],25:[function(require,module,exports){
(function (global,Buffer){(function (){
'use strict';
var gost89 = require('./gost89.js');


var Hash = function () {
    this.gost = gost89.init();
    this.left = null;
    this.len = 0;

    var hash_mem = new global.Uint8Array(264);

    this.U = hash_mem.subarray(0, 32);
    this.W = hash_mem.subarray(32, 64);
    this.V = hash_mem.subarray(64, 96);
    this._S = hash_mem.subarray(96, 128);
    this.Key = hash_mem.subarray(128, 160);
    this.c8buf = hash_mem.subarray(160, 168);
    this.H = hash_mem.subarray(168, 200);
    this.S = hash_mem.subarray(200, 232);
    this.buf = hash_mem.subarray(232, 264);

    this.mem = hash_mem;
    this.ab2 = new global.Int32Array(4);
};

Hash.prototype.swap_bytes = function (w, k)
{
    var i,j;
    for (i=0;i<4;i++) {
        for (j=0;j<8;j++) {
            k[i+4*j]=w[8*i+j];
        }
    }
};

Hash.prototype.circle_xor8 = function (w, k)
{
    var c8buf = this.c8buf;
    var i;
    for (i=0; i<8; i++) {
        c8buf[i] = w[i];
    }
    for (i=0; i<24; i++) {
        k[i] = w[i + 8];
    }
    for(i=0;i<8;i++) {
        k[i+24]=c8buf[i]^k[i];
    }
};

Hash.prototype.transform_3 = function (data)
{
    var i;
    var t16;
    t16=(data[0]^data[2]^data[4]^data[6]^data[24]^data[30])|
        ((data[1]^data[3]^data[5]^data[7]^data[25]^data[31])<<8);

    for (i=0; i<30; i++) {
        data[i] = data[i+2];
    }
    data[30] = t16 &0xff;
    data[31] = t16 >>> 8;
};

Hash.prototype.add_blocks = function (n, left, right) {
    var ab2 = this.ab2;
    ab2[2] = 0;
    ab2[3] = 0;
    var i;
    for (i=0; i<n; i++) {
        ab2[0] = left[i];
        ab2[1] = right[i];
        ab2[2] = ab2[0] + ab2[1] + ab2[3];
        left[i] =  ab2[2] & 0xFF;
        ab2[3] =  ab2[2] >>> 8;
    }

    return ab2[3];
};

/* Xor two sequences of bytes */
Hash.prototype.xor_blocks = function (ret, a, b)
{
    var i;
    var len = a.length;
    for (i=0;i<len;i++) {
        ret[i]=a[i]^b[i];
    }
};

/*
 *     Calculate H(i+1) = Hash(Hi,Mi)
 *     Where H and M are 32 bytes long
 */
Hash.prototype.step = function(H, M)
{
    var U = this.U,
        W = this.W,
        V = this.V,
        S = this._S,
        Key = this.Key;

    var gost = this.gost;

    var i;
    /* Compute first key */
    this.xor_blocks(W,H,M,32);
    this.swap_bytes(W,Key);
    /* Encrypt first 8 bytes of H with first key*/
    gost.key(Key);
    gost.crypt64(H,S);
    /* Compute second key*/
    this.circle_xor8(H,U);
    this.circle_xor8(M,V);
    this.circle_xor8(V,V);
    this.xor_blocks(W,U,V,32);
    this.swap_bytes(W,Key);
    /* encrypt second 8 bytes of H with second key*/
    gost.key(Key);
    gost.crypt64(H.subarray(8, 16), S.subarray(8, 16));
    /* compute third key */
    this.circle_xor8(U,U);
    U[31]=~U[31]; U[29]=~U[29]; U[28]=~U[28]; U[24]=~U[24];
    U[23]=~U[23]; U[20]=~U[20]; U[18]=~U[18]; U[17]=~U[17];
    U[14]=~U[14]; U[12]=~U[12]; U[10]=~U[10]; U[ 8]=~U[ 8];
    U[ 7]=~U[ 7]; U[ 5]=~U[ 5]; U[ 3]=~U[ 3]; U[ 1]=~U[ 1];
    this.circle_xor8(V,V);
    this.circle_xor8(V,V);
    this.xor_blocks(W,U,V,32);
    this.swap_bytes(W,Key);
    /* encrypt third 8 bytes of H with third key*/
    gost.key(Key);
    gost.crypt64(H.subarray(16, 24), S.subarray(16, 24));
    /* Compute fourth key */
    this.circle_xor8(U,U);
    this.circle_xor8(V,V);
    this.circle_xor8(V,V);
    this.xor_blocks(W,U,V,32);
    this.swap_bytes(W,Key);
    /* Encrypt last 8 bytes with fourth key */
    gost.key(Key);
    gost.crypt64(H.subarray(24, 32), S.subarray(24, 32));
    for (i=0;i<12;i++)  {
        this.transform_3(S);
    }

    this.xor_blocks(S,S,M,32);
    this.transform_3(S);
    this.xor_blocks(S,S,H,32);

    for (i=0;i<61;i++)  {
        this.transform_3(S);
    }

    for (i=0; i< 32; i++) {
        H[i] = S[i];
    }

    return 1;
};


Hash.prototype.update = function (block) {
    if (typeof block === 'string') {
        block = Buffer.from(block, 'binary');
    }
    if (this.left) {
        block = Buffer.concat([this.left, block]);
    }
    var block32 = block;
    var off = 0;
    while ((block.length - off) >= 32) {
        this.step(this.H, block32);
        this.add_blocks(32, this.S, block32);
        off += 32;
        block32 = block.slice(off, off + 32);
    }
    this.len += off;

    if (block32.length > 0) {
        this.left = Buffer.from(block32);
    }
};

Hash.prototype.update32 = function (block32) {
    this.step(this.H, block32);
    this.add_blocks(32, this.S, block32);
    this.len += 32;
};

Hash.prototype.finish = function (hashval) {
    var buf = this.buf;
    var fin_len = this.len;
    var idx = 0;

    if (this.left) {
        for (idx=0; idx<this.left.length; idx++) {
            buf[idx] = this.left[idx];
        }
        this.step(this.H, buf);
        this.add_blocks(32, this.S, buf);
        fin_len += this.left.length;
        this.left = null;

        for (idx=0; idx < 32; idx++) {
            buf[idx] = 0;
        }
    }

    fin_len <<= 3;
    idx = 0;
    while (fin_len > 0) {
        buf[idx++] = fin_len & 0xFF;
        fin_len >>= 8;
    }

    this.step(this.H, buf);
    this.step(this.H, this.S);

    for (idx=0 ; idx < 32; idx++) {
        hashval[idx] = this.H[idx];
    }
    return hashval;
};

Hash.prototype.reset = function () {
    var idx;
    for (idx=0 ; idx < 32; idx++) {
        this.H[idx] = 0;
        this.S[idx] = 0;
    }
    this.left = null;
    this.len = 0;
};

var hash_init = function () {
    return new Hash();
};

Hash.init = hash_init;
Hash.gosthash = function (data, ret) {
    var ctx = hash_init();
    if (typeof data === 'string') {
        data = Buffer.from(data, 'binary');
    }
    ctx.update(data);
    if (ret === undefined) {
        ret = new global.Uint8Array(32);
    }
    return Buffer.from(ctx.finish(ret));
};
module.exports = Hash;

}).call(this)}).call(this,typeof global !== "undefined" ? global : typeof self !== "undefined" ? self : typeof window !== "undefined" ? window : {},require("buffer").Buffer)
},{"./gost89.js":24,"buffer":20}],26:[function(require,module,exports){
(function (global){(function (){
'use strict';

var Buffer = require('buffer').Buffer;
var gost89 = require('./gost89.js');

var WRAP_IV = Buffer.from([
    0x4a, 0xdd, 0xa2, 0x2c, 0x79, 0xe8, 0x21, 0x05
]);

var key_wrap = function (cek, kek, iv) {
    var idx;
    var gost = gost89.init();
    var icv,
        cekicv = new global.Uint8Array(40),
        temp1,
        temp2 = new global.Uint8Array(44),
        temp3 = new global.Uint8Array(48),
        result;

    gost.key(kek);
    icv = gost.mac(32, cek);

    for (idx=0; idx < 32; idx++) {
        cekicv[idx] = cek[idx];
    }
    for (idx=32; idx < 40; idx++) {
        cekicv[idx] = icv[idx - 32] || 0;
    }

    temp1 = gost.crypt_cfb(iv, cekicv);

    for (idx=0; idx < 8; idx++) {
        temp2[idx] = iv[idx];
    }
    for (idx=8; idx < 44; idx++) {
        temp2[idx] = temp1[idx - 8];
    }

    for(idx=0; idx < 48; idx++) {
        temp3[idx] = temp2[44 - idx - 1];
    }

    result = gost.crypt_cfb(WRAP_IV, temp3);

    return Buffer.from(result.slice(0, 44));
};

var key_unwrap = function (wcek, kek) {
    var idx, err;
    var gost = gost89.init();

    var icv = new global.Uint8Array(4),
        iv = new global.Uint8Array(8),
        cekicv,
        temp1 = new global.Uint8Array(40),
        temp2 = Buffer.alloc(44),
        temp3,
        icv_check;

    gost.key(kek);
    temp3 = gost.decrypt_cfb(WRAP_IV, wcek);

    for(idx=0; idx < 44; idx++) {
        temp2[idx] = temp3[44 - idx - 1];
    }

    for (idx = 0; idx < 8; idx++ ) {
        iv[idx] = temp2[idx];
    }
    for (idx = 0; idx < 36; idx++) {
        temp1[idx] = temp2[idx + 8];
    }

    cekicv = gost.decrypt_cfb(iv, temp1);

    for (idx = 0; idx < 4; idx++) {
        icv[idx] = cekicv[idx + 32];
    }

    icv_check = gost.mac(32, cekicv.slice(0, 32));

    err = icv[0] ^ icv_check[0];
    err |= icv[1] ^ icv_check[1];
    err |= icv[2] ^ icv_check[2];
    err |= icv[3] ^ icv_check[3];

    if (err !== 0) {
        throw new Error("Key unwrap failed. Checksum mismatch");
    }

    return Buffer.from(cekicv.slice(0, 32));
};

module.exports = {
    unwrap: key_unwrap,
    wrap: key_wrap,
};

}).call(this)}).call(this,typeof global !== "undefined" ? global : typeof self !== "undefined" ? self : typeof window !== "undefined" ? window : {})
},{"./gost89.js":24,"buffer":20}],27:[function(require,module,exports){
(function (global){(function (){
'use strict';

var Buffer = require('buffer').Buffer;
var Gost = require('./gost89');

var PRNG = function (key) {
    var ctx = Gost.init();
    var counter = new global.Uint8Array([0, 0, 0, 0, 0, 0, 0, 0]);
    var I = new global.Uint8Array(8),
        X = new global.Uint8Array(8);
    ctx.key(key);

    var increment = function() {
        var idx, zero = 0, len = 8;
        for (idx = 0; idx < len; idx++) {
            counter[idx] ++;
            if (counter[idx] > 0) {
                break;
            } 
                
            zero = idx - 1;
        }
        for (idx = 0; idx < zero; idx++) {
            counter[idx] = 0;
        }
    };

    var bit = function() {
        var idx, ret;
        ctx.crypt64(counter, I);
        for (idx = 0; idx < 8; idx++) {
            I[idx] ^= counter[idx];
        }
        ctx.crypt64(I, X);
        ret = Buffer.from(X);

        for (idx = 0; idx < 8; idx++) {
            X[idx] ^= I[idx];
        }
        ctx.crypt64(X, counter);

        increment(counter);
        return ret;
    };

    var value = function () {
        var ret = Buffer.alloc(8);
        var idx, bidx;
        var step;

        for (idx=0; idx < 8; idx++) {
            for (bidx=0; bidx < 8; bidx++) {
                step = bit();
                ret[idx] |= (step[0] & 1) << bidx;
            }
        }

        return ret;
    };

    return {
        next: function(bytes) {
            var off = 0;
            var rb = Buffer.alloc(bytes);
            var step;
            while (bytes > off) {
                step = value();
                step.copy(rb, off);
                off += step.length;
            }
            return rb;
        }
    };
};

PRNG.seed = function (seed) {
    return new PRNG(seed);

};

module.exports = PRNG;

}).call(this)}).call(this,typeof global !== "undefined" ? global : typeof self !== "undefined" ? self : typeof window !== "undefined" ? window : {})
},{"./gost89":24,"buffer":20}],28:[function(require,module,exports){
(function (global){(function (){
'use strict';

var Buffer = require('buffer').Buffer;
var Hash = require('./hash.js');

var dumb_kdf = function (input, n_passes) {
    var ctx = Hash.init();
    var hash = Buffer.alloc(32);

    ctx.update(input);
    ctx.finish(hash);

    n_passes--;

    while(n_passes--) {
        ctx.reset();
        ctx.update32(hash);
        ctx.finish(hash);
    }

    return Buffer.from(hash);
};

var pbkdf = function (input, salt, iters) {
    if (typeof input === 'string') {
        input = Buffer.from(input, 'binary');
    }
    var hash = Buffer.alloc(32),
        key = new global.Uint8Array(32),
        pw_pad36 = new global.Uint8Array(32),
        pw_pad5C = new global.Uint8Array(32);

    var ctx = Hash.init();

    var ins = new global.Uint8Array(4);
    ins[3] = 1;

    var k;
    for (k=0; k < 32; k++) {
        pw_pad36[k] = 0x36;
        pw_pad5C[k] = 0x5C;
    }
    for(k=0; k < input.length; k++) {
        pw_pad36[k] ^= input[k];
    }
    k = 0;
    for(k=0; k < input.length; k++) {
        pw_pad5C[k] ^= input[k];
    }

    ctx.update32(pw_pad36);
    ctx.update(salt);
    ctx.update(ins);
    ctx.finish(hash);

    ctx.reset();

    ctx.update32(pw_pad5C);
    ctx.update32(hash);
    ctx.finish(hash);

    iters --;

    for(k = 0; k < 32; k++) {
        key[k] = hash[k];
    }

    while (iters-- > 0)  {
        ctx.reset();
        ctx.update32(pw_pad36);
        ctx.update32(hash);
        ctx.finish(hash);

        ctx.reset();
        ctx.update32(pw_pad5C);
        ctx.update32(hash);
        ctx.finish(hash);

        for(k = 0; k < 32; k++) {
            key[k] ^= hash[k];
        }
    }

    return Buffer.from(key);
};

module.exports = {
    dumb_kdf: dumb_kdf,
    pbkdf: pbkdf,
};

}).call(this)}).call(this,typeof global !== "undefined" ? global : typeof self !== "undefined" ? self : typeof window !== "undefined" ? window : {})
},{"./hash.js":25,"buffer":20}],29:[function(require,module,exports){
/*! ieee754. BSD-3-Clause License. Feross Aboukhadijeh <https://feross.org/opensource> */
exports.read = function (buffer, offset, isLE, mLen, nBytes) {
  var e, m
  var eLen = (nBytes * 8) - mLen - 1
  var eMax = (1 << eLen) - 1
  var eBias = eMax >> 1
  var nBits = -7
  var i = isLE ? (nBytes - 1) : 0
  var d = isLE ? -1 : 1
  var s = buffer[offset + i]

  i += d

  e = s & ((1 << (-nBits)) - 1)
  s >>= (-nBits)
  nBits += eLen
  for (; nBits > 0; e = (e * 256) + buffer[offset + i], i += d, nBits -= 8) {}

  m = e & ((1 << (-nBits)) - 1)
  e >>= (-nBits)
  nBits += mLen
  for (; nBits > 0; m = (m * 256) + buffer[offset + i], i += d, nBits -= 8) {}

  if (e === 0) {
    e = 1 - eBias
  } else if (e === eMax) {
    return m ? NaN : ((s ? -1 : 1) * Infinity)
  } else {
    m = m + Math.pow(2, mLen)
    e = e - eBias
  }
  return (s ? -1 : 1) * m * Math.pow(2, e - mLen)
}

exports.write = function (buffer, value, offset, isLE, mLen, nBytes) {
  var e, m, c
  var eLen = (nBytes * 8) - mLen - 1
  var eMax = (1 << eLen) - 1
  var eBias = eMax >> 1
  var rt = (mLen === 23 ? Math.pow(2, -24) - Math.pow(2, -77) : 0)
  var i = isLE ? 0 : (nBytes - 1)
  var d = isLE ? 1 : -1
  var s = value < 0 || (value === 0 && 1 / value < 0) ? 1 : 0

  value = Math.abs(value)

  if (isNaN(value) || value === Infinity) {
    m = isNaN(value) ? 1 : 0
    e = eMax
  } else {
    e = Math.floor(Math.log(value) / Math.LN2)
    if (value * (c = Math.pow(2, -e)) < 1) {
      e--
      c *= 2
    }
    if (e + eBias >= 1) {
      value += rt / c
    } else {
      value += rt * Math.pow(2, 1 - eBias)
    }
    if (value * c >= 2) {
      e++
      c /= 2
    }

    if (e + eBias >= eMax) {
      m = 0
      e = eMax
    } else if (e + eBias >= 1) {
      m = ((value * c) - 1) * Math.pow(2, mLen)
      e = e + eBias
    } else {
      m = value * Math.pow(2, eBias - 1) * Math.pow(2, mLen)
      e = 0
    }
  }

  for (; mLen >= 8; buffer[offset + i] = m & 0xff, i += d, m /= 256, mLen -= 8) {}

  e = (e << mLen) | m
  eLen += mLen
  for (; eLen > 0; buffer[offset + i] = e & 0xff, i += d, e /= 256, eLen -= 8) {}

  buffer[offset + i - d] |= s * 128
}

},{}],30:[function(require,module,exports){
if (typeof Object.create === 'function') {
  // implementation from standard node.js 'util' module
  module.exports = function inherits(ctor, superCtor) {
    if (superCtor) {
      ctor.super_ = superCtor
      ctor.prototype = Object.create(superCtor.prototype, {
        constructor: {
          value: ctor,
          enumerable: false,
          writable: true,
          configurable: true
        }
      })
    }
  };
} else {
  // old school shim for old browsers
  module.exports = function inherits(ctor, superCtor) {
    if (superCtor) {
      ctor.super_ = superCtor
      var TempCtor = function () {}
      TempCtor.prototype = superCtor.prototype
      ctor.prototype = new TempCtor()
      ctor.prototype.constructor = ctor
    }
  }
}

},{}],31:[function(require,module,exports){
(function (Buffer){(function (){
var sha1 = require('js-sha1');

function encode_utf16(str) {
    var buf = new Buffer(str.length * 2);
    for(var i=0;i<str.length;i++) {
        var code = str.charCodeAt(i);
        buf[i*2] = (code & 0xFF00) >> 8;
        buf[(i*2)+1] = code & 0xFF;
    }
    return buf;
}

function decode(buf, password) {
  var pw = encode_utf16(password);
  var iv = buf.slice(0, 20);
  var data = buf.slice(20, buf.length - 20);
  var check = buf.slice(buf.length - 20);

  var open = new Buffer(data.length);
  var pos = 0;

  var cur = iv;

  while (pos < data.length) {
      var hash = sha1.create();
      hash.update(pw);
      hash.update(cur);
      cur = hash.digest();

      var i;
      for(i=0; i<cur.length; i++) {
          open[pos] = data[pos] ^ cur[i];
          pos++;
      }
  }

  var toCheck = sha1.create();
  toCheck.update(pw);
  toCheck.update(open);
  var digest = toCheck.digest();

  var match = 0;
  for(var i=0; i<check.length; i++) {
      match = (digest[i] ^ check[i]) || match;
  }

  return (match===0) ? open : null;

}

module.exports = decode;

}).call(this)}).call(this,require("buffer").Buffer)
},{"buffer":20,"js-sha1":69}],32:[function(require,module,exports){
var decode = require('./decode');
var parse = require('./parse');
module.exports = {decode: decode, parse: parse};

},{"./decode":31,"./parse":33}],33:[function(require,module,exports){
function reader(buf, pos) {
    return {buf: buf, pos: pos || 0}
}

function U32(inst) {
    var ret = inst.buf.readUInt32BE(inst.pos);
    inst.pos += 4;
    return ret;
}
function U16(inst) {
    var ret = inst.buf.readUInt16BE(inst.pos);
    inst.pos += 2;
    return ret;
}
function BIN(inst, len) {
    var ret = inst.buf.slice(inst.pos, inst.pos + len);
    inst.pos += len;
    return ret;
}
function STR(inst, len) {
    return BIN(inst, len).toString();
}

function readCert(_jks) {
    var type = STR(_jks, U16(_jks));
    var data = BIN(_jks, U32(_jks));
    return {type: type, data: data};
}

function readKey(_jks) {
    var name = STR(_jks, U16(_jks));
    U32(_jks); // skip timestamp high
    U32(_jks); // skip timestamp low
    var key_data = BIN(_jks, U32(_jks)).slice(0x18); // drop header

    var chain = U32(_jks);
    var certs = [];
    for (var j=0; j<chain; j++) {
        var cert = readCert(_jks);
        if (cert.type === 'X.509') {
            certs.push(cert.data);
        }
    }
    return {key: key_data, certs: certs, name: name};
}


var MAGIC_JKS = 0xfeedfeed;
function parse(jks) {
    var _jks = reader(jks);
    var magic = U32(_jks);
    if (magic !== MAGIC_JKS) {
        return null;
    }
    var version = U32(_jks);
    if (version !== 2) {
        return null;
    }
    var entries = U32(_jks);
    var material = [];
    for(var i=0; i<entries; i++) {
        var tag = U32(_jks);
        if (tag === 1) {
            material.push(readKey(_jks));
        }
        if (tag === 2) {
            material.push(readCert(_jks));
        }
    }
    return {
        format: 'jks',
        material: material,
    };
}

module.exports = parse;

},{}],34:[function(require,module,exports){
(function (global){(function (){
/* eslint-disable camelcase,no-underscore-dangle,no-bitwise */
const bn = require("asn1.js").bignum;

const Field = require("./field.js");
const wnaf = require("./wnaf/index.js");
const Priv = require("./models/Priv.js");
const Pub = require("./models/Pub");
const standard = require("./standard.js");
const util = require("./util.js");
const random = require("./rand.js");
const Point = require("./point.js");

const H = util.maybeHex;

function fsquad_odd(value, curve) {
  const bitl_m = curve.m;
  const range_to = (bitl_m - 1) / 2;
  const val_a = value.mod();

  let val_z = val_a;

  for (let idx = 1; idx <= range_to; idx += 1) {
    val_z = val_z.mod_sqr().mod_sqr();
    val_z.addM(val_a);
  }

  const val_w = val_z.mod_mul(val_z);
  val_w.addM(val_z);

  if (val_w.equals(val_a)) {
    return val_z;
  }

  throw new Error("squad eq fail");
}

function fsquad(value, curve) {
  let ret;
  if (curve.modulus.testBit(0)) {
    ret = fsquad_odd(value, curve);
  } else {
    throw new Error("only odd modulus is supported :(");
  }

  return ret.mod();
}

class Curve {
  static resolve(def, fmt) {
    if (def.type === "params" && Curve.only_known) {
      def = {type: 'id', value: 'DSTU_PB_' + def.value.p.param_m};
    }
    if (def.type === "params") {
      return Curve.from_asn1(def.value, fmt);
    }
    if (def.type === "id") {
      return Curve.from_id(def.value);
    }
    throw new Error("Unknown type", def.type);
  }

  static from_id(curve_name) {
    if (standard.cache[curve_name]) {
      return standard.cache[curve_name];
    }

    if (!standard[curve_name]) {
      throw new Error("Curve with such name was not defined");
    }
    const curve = new Curve(standard[curve_name]);
    standard.cache[curve_name] = curve;

    return curve;
  }

  static from_asn1(curve, fmt) {
    const big = fmt === "cert" ? util.BIG_LE : util.BIG_BE;

    return new Curve({
      m: curve.p.param_m,
      ks: Curve.ks_parse(curve.p.ks),
      a: [curve.param_a],
      b: big(curve.param_b),
      order: util.BIG_BE(curve.order.toArray()),
      kofactor: [2],
      base: big(curve.bp)
    });
  }

  static ks_parse(ks) {
    if (ks.type === "trinominal") {
      return [ks.value];
    }
    return [ks.value.k1, ks.value.k2, ks.value.k3];
  }

  constructor(params) {
    this.expand_cache = {};

    const mod_words = Math.ceil(params.m / 32);

    this.mod_tmp = new Uint32Array(mod_words + mod_words + 4);
    this.inv_tmp1 = new Uint32Array(mod_words);
    this.inv_tmp2 = new Uint32Array(mod_words);
    this.order = H(params.order, mod_words);
    this.kofactor = H(params.kofactor);
    this.param_a = H(params.a, mod_words);
    this.param_b = H(params.b, mod_words);
    this.m = (typeof params.m === 'number') ? params.m : params.m.toNumber();
    this.ks = params.ks;
    this.mod_words = mod_words;
    this.zero = new Field([0], "buf32", this);
    this.one = new Field("1", "hex", this);
    this.modulus = this.comp_modulus(params.m, params.ks);
    this.mod_bits = new Uint32Array([this.m].concat(this.ks, [0]));
    this.param_a = new Field(this.param_a, "buf32", this);
    this.param_b = new Field(this.param_b, "buf32", this);
    this.a = this.param_a;
    this.b = this.param_b;
    this.order = new Field(this.order, "buf32", this);
    this.kofactor = new Field(this.kofactor, "buf32", this);

    let base_x;
    let base_y;
    if (params.base.x === undefined) {
      ({ x: base_x, y: base_y } = this.expand(H(params.base, mod_words)));
    } else {
      base_x = H(params.base.x, mod_words);
      base_y = H(params.base.y, mod_words);
    }
    this.set_base(base_x, base_y);
  }

  comp_modulus(m, ks) {
    let modulus = this.one;
    modulus = modulus.setBit(m);
    for (let i = 0; i < ks.length; i += 1) {
      modulus = modulus.setBit(ks[i]);
    }
    return modulus;
  }

  set_base(base_x, base_y) {
    let width = wnaf.getWindowSize(this.m);
    width = Math.max(2, Math.min(16, width));
    this.base = this.point(base_x, base_y);
    wnaf.precomp(this.base, width);
    const cmp = this.base.compress();
    this.expand_cache[cmp.toString()] = this.base;
  }

  expand(val) {
    const pa = this.a;

    const pb = this.b;

    let x;
    let y;

    if (typeof val === "string") {
      x = new Field(val, "hex", this);
    } else {
      x = val;
    }
    x = x._is_field ? x : new Field(x, "buf32", this);

    if (x.is_zero()) {
      return {
        x,
        y: pb.mod_mul(pb)
      };
    }

    const cached = this.expand_cache[x.toString()];
    if (cached !== undefined) {
      return cached;
    }

    const k = x.testBit(0);
    x = x.clearBit(0);

    const trace = x.trace();
    if ((trace !== 0 && pa.is_zero()) || (trace === 0 && pa.equals(this.one))) {
      x = x.setBit(0);
    }

    const x2 = x.mod_mul(x);
    y = x2.mod_mul(x);

    if (pa.equals(this.one)) {
      y.addM(x2);
    }

    y.addM(pb);
    const invx2 = x2.invert();

    y = y.mod_mul(invx2);
    y = fsquad(y, this);

    const trace_y = y.trace();

    if ((k === true && trace_y === 0) || (k === false && trace_y !== 0)) {
      y.bytes[0] ^= 1;
    }

    y = y.mod_mul(x);

    return {
      x,
      y
    };
  }

  field(val) {
    return new Field(val.bytes, undefined, this).mod();
  }

  point(px, py) {
    return new Point(this, px, py);
  }

  truncate(value) {
    const bitl_o = this.order.bitLength();

    let xbit = value.bitLength();
    let ret = value;
    while (bitl_o <= xbit) {
      ret = ret.clearBit(xbit - 1);
      xbit = ret.bitLength();
    }
    return ret;
  }

  contains(point) {
    let lh = point.x.add(this.a);
    lh = lh.mod_mul(point.x);
    lh.addM(point.y);
    lh = lh.mod_mul(point.x);
    lh.addM(this.b);
    const y2 = point.y.mod_mul(point.y);
    lh.addM(y2);

    return lh.is_zero();
  }

  rand() {
    const bits = this.order.bitLength();
    const words = Math.ceil(bits / 8);

    let ret;
    do {
      let rand8 = new global.Uint8Array(words);
      rand8 = random(rand8);
      ret = new Field(rand8, "buf8", this);
    } while (this.order.less(ret));

    return ret;
  }

  pkey(inp, fmt) {
    const format = fmt || Priv.detect_format(inp);
    return new Priv(this, new Field(inp, format, this));
  }

  pubkey(inp, input_fmt) {
    let fmt = input_fmt || Pub.detect_format(inp);
    if (fmt === "raw") {
      fmt = "buf32";
    }
    const compressed = new Field(inp, fmt, this);
    const pointQ = this.point(compressed);
    return new Pub(this, pointQ, inp);
  }

  equals(other) {
    const for_check = ["a", "b", "order", "modulus"];
    for (let i = 0; i < for_check.length; i += 1) {
      const attr = for_check[i];
      if (!this[attr].equals(other[attr])) {
        return false;
      }
    }

    return this.base.equals(other.base);
  }

  keygen() {
    let priv;
    let pub;
    do {
      const rand_d = this.rand();
      priv = new Priv(this, rand_d);
      pub = priv.pub();
    } while (!pub.validate());

    return priv;
  }

  as_struct() {
    let ks_p;
    if (this.ks.length === 1) {
      ks_p = {
        type: "trinominal",
        value: this.ks[0]
      };
    } else {
      ks_p = this.ks;
      ks_p = {
        type: "pentanominal",
        value: { k1: ks_p[0], k2: ks_p[1], k3: ks_p[2] }
      };
    }
    return {
      p: {
        param_m: this.m,
        ks: ks_p
      },
      param_a: this.param_a.bytes[0],
      param_b: this.param_b.le(),
      order: new bn.BN(this.order.buf8(), 8),
      bp: this.base.compress().le()
    };
  }

  calc_modulus() {
    const ret = new global.Uint32Array(this.mod_words);
    ret[0] = 1;

    let word = Math.floor(this.m / 32);
    let bit = this.m % 32;
    ret[word] |= 1 << bit;

    for (let i = 0; i < this.ks.length; i += 1) {
      word = Math.floor(this.ks[i] / 32);
      bit = this.ks[i] % 32;
      ret[word] |= 1 << bit;
    }

    return ret;
  }

  curve_id() {
    return {
      163: 0,
      167: 1,
      173: 2,
      179: 3,
      191: 4,
      233: 5,
      257: 6,
      307: 7,
      367: 8,
      431: 9
    }[this.m];
  }

  name() {
    return [
      "DSTU_PB_163",
      "DSTU_PB_167",
      "DSTU_PB_173",
      "DSTU_PB_179",
      "DSTU_PB_191",
      "DSTU_PB_233",
      "DSTU_PB_257",
      "DSTU_PB_307",
      "DSTU_PB_367",
      "DSTU_PB_431"
    ][this.curve_id()];
  }
}

function pubkey(curve_name, key_data, key_fmt) {
  const curve = Curve.from_id(curve_name);
  return curve.pubkey(key_data, key_fmt);
}

function pkey(curve_name, key_data, key_fmt) {
  const curve = Curve.from_id(curve_name);
  return curve.pkey(key_data, key_fmt);
}

module.exports.Curve = Curve;
module.exports.Field = Field;
module.exports.pkey = pkey;
module.exports.pubkey = pubkey;
module.exports.std_curve = Curve.from_id;

}).call(this)}).call(this,typeof global !== "undefined" ? global : typeof self !== "undefined" ? self : typeof window !== "undefined" ? window : {})
},{"./field.js":35,"./models/Priv.js":41,"./models/Pub":42,"./point.js":44,"./rand.js":45,"./standard.js":56,"./util.js":57,"./wnaf/index.js":65,"asn1.js":2}],35:[function(require,module,exports){
'use strict';
var Buffer = require('buffer').Buffer;
var _pure = require('./gf2m.js');
var impl = _pure;

var Field = function(in_value, fmt, curve) {
    var ob, value, idx, vidx, chr, bpos, code, size;

    if(curve === undefined || curve.mod_words === undefined) {
        throw new Error("pass curve to field constructor");
    }

    if(in_value !== null && in_value._is_field) throw new Error("wtf");

    if(in_value === null) {
        this.bytes = new Uint32Array(curve.mod_words);
        this.length = curve.mod_words;
    } else {
        this.setValue(in_value, fmt, curve.mod_words);
    }

    this._is_field = true;
    this.curve = curve;
    this.mod_bits = curve.mod_bits;
    this.mod_words = curve.mod_words;
}

Field.prototype.toString = function (raw) {
    var txt = '', chr, skip = true,
        _bytes = this.bytes;

    for(var i = _bytes.length-1; i>=0; i--) {
        chr = _bytes[i].toString(16);
        if(skip && _bytes[i] == 0) {
            continue;
        }
        while(chr.length < 8 && skip===false)
            chr = '0' + chr;
        txt += chr;
        skip = false;
    }

    if(raw === true) {
        return txt;
    }

    return '<Field ' + txt + '>';
};

Field.prototype.mod_mul = function (that) {
    var s = this.curve.mod_tmp;
    impl.mul(this.bytes, that.bytes, s);
    s = impl.mod(s, this.mod_bits).subarray(0, this.mod_words);
    return new Field(s, undefined, this.curve);
};

Field.prototype.mod_sqr = function () {
    return this.mod_mul(this);
};

Field.prototype.mod = function () {
    var rbuf = impl.mod(this.bytes, this.mod_bits);
    return new Field(rbuf, undefined, this.curve);
};

Field.prototype.addM = function (that, _from) {
    var that_b = that.bytes,
        that_len = that_b.length,
        this_b = _from || this.bytes,
        to_b = this.bytes,
        iter_len = Math.max((to_b || _from).length, that_len),
        i;

    if (to_b.length < that_len) {
        to_b = new Uint32Array(this.mod_words);
    }

    for(i=0; i < iter_len; i++) {
        to_b[i] = this_b[i] ^ (that_b[i] || 0);
    }

    this.bytes = to_b;
    this.length = to_b.length;
};

Field.prototype.add = function (that) {
    var ret = new Field(null, undefined, this.curve);
    ret.addM(that, this.bytes);
    return ret;
};

Field.prototype.is_zero = function() {
    var blen = this.length, idx;
    for(idx=0; idx<blen; idx++) {
        if(this.bytes[idx] !== 0)
            return false;
    }

    return true;
};

Field.prototype.equals = function(other) {
    var blen = this.length,
        olen = other.length,
        idx,
        bb = this.bytes,
        diff = 0,
        ob = other.bytes;


    while(ob[olen-1] === 0)
        olen--;

    while(bb[blen-1] === 0)
        blen--;

    if (olen != blen) {
        return false;
    }

    for(idx=0; idx<blen; idx++) {
        diff |= this.bytes[idx] ^ ob[idx];
    }

    return diff === 0;
};

Field.prototype.less = function (other) {
    var blen = this.length,
        olen = other.length,
        idx,
        bb = this.bytes,
        diff = 0,
        ob = other.bytes;


    while(ob[olen-1] === 0)
        olen--;

    while(bb[blen-1] === 0)
        blen--;

    if(olen > blen) {
        return true;
    }

    return bb[blen] < ob[olen];
};

Field.prototype.bitLength = function() {
    return _pure.blength(this.bytes);
};

Field.prototype.testBit = function(n) {
    var test_word = Math.floor(n / 32),
        test_bit = n % 32,
        word = this.bytes[test_word],
        mask = 1 << test_bit;

    if(word === undefined)
        return true;

    return (word & mask) !== 0;
};

Field.prototype.clone = function() {
    return new Field(new Uint32Array(this.bytes), undefined, this.curve);
};

Field.prototype.clearBit = function(n) {
    var test_word = Math.floor(n / 32),
        test_bit = n % 32,
        word = this.bytes[test_word],
        mask = 1 << test_bit;

    if(word === undefined)
        return this;

    word ^= word & mask;

    var ret = this.clone()
    ret.bytes[test_word] = word;
    return ret;
};

Field.prototype.setBit = function(n) {
    var test_word = Math.floor(n / 32),
        test_bit = n % 32,
        word = this.bytes[test_word],
        mask = 1 << test_bit;

    if(word === undefined)
        return this;

    var ret = this.clone()
    ret.bytes[test_word] |= mask;
    return ret;
};

Field.prototype.shiftRight = function (bits) {
    if (bits === 0) return this.clone();

    return new Field(_pure.shiftRight(this.bytes, bits, false), undefined, this.curve);
};

Field.prototype.shiftRightM = function (bits) {
    if (bits === 0) return;
    _pure.shiftRight(this.bytes, bits, true);
};

Field.prototype.buf8 = function () {
    var ret = new Uint8Array(this.bytes.length * 4);
    var l = ret.length;
    var idx;

    for (idx = 0; idx < this.bytes.length; idx++) {
        ret[l - idx * 4 - 1] = this.bytes[idx] & 0xFF;
        ret[l - idx * 4 - 2] = this.bytes[idx] >>> 8 & 0xFF;
        ret[l - idx * 4 - 3] = this.bytes[idx] >>> 16 & 0xFF;
        ret[l - idx * 4 - 4] = this.bytes[idx] >>> 24 & 0xFF;
    }

    return ret;
};

Field.prototype.le = function () {
    var bytes = Math.ceil(this.curve.m / 8);
    var data = this.buf8();
    data = Array.prototype.slice.call(data, 0);
    return Buffer.from(data.reverse()).slice(0, bytes);
};


Field.prototype.truncate_buf8 = function () {
    var ret = this.buf8(),
        start = ret.length - (
                this.curve.order.bitLength() / 8
        );

    if(start < 0) {
        return ret;
    }

    return ret.subarray(start);
};


Field.prototype.is_negative = function () {
    return false;
};

Field.prototype.trace = function() {
    var bitm_l = this.curve.m;
    var idx;
    var rv = this;

    for (idx = 1; idx <= bitm_l - 1; idx++) {
        rv = rv.mod_mul(rv);
        rv.addM(this);
    }

    return rv.bytes[0] & 1;

};

Field.prototype.setValue = function (in_value, fmt, mod_words) {
    var vidx, bpos, size, value, idx, chr, code;

    if(in_value !== null && in_value._is_field) throw new Error("wtf");

    if((fmt === undefined) || (fmt === 'buf32')) {
        this.bytes = in_value;
        this.length = in_value.length;
        return;
    }

    if(fmt === 'hex') {
        this.bytes = from_hex(in_value, mod_words);
        this.length = this.bytes.length;
        return;
    }

    if (fmt === 'bn') {
        in_value = in_value.toArray();
        fmt = 'buf8';
    }

    if (fmt === 'buf8') {
        this.bytes = from_u8(in_value, mod_words);
        this.length = this.bytes.length;
    }
};

Field.prototype.invert = function(inplace, _reuse_buf) {
    var a = impl.mod(this.bytes, this.mod_bits);
    var p = this.curve.calc_modulus(this.mod_bits);
    impl.inv(a, p, a);

    return new Field(a, undefined, this.curve);
};


var HEX = '0123456789ABCDEF';
var from_hex = function(in_value, max_size) {
    var idx;
    var chr;
    var code;
    var vidx = 0;
    var bpos = 0;
    var size = Math.ceil(in_value.length / 8);
    size = Math.max(size, max_size || size);
    var value = new Uint32Array(size);
    for(idx=in_value.length-1; idx >= 0; idx-- ) {
        chr = in_value.charAt(idx).toUpperCase();
        code = HEX.indexOf(chr);
        bpos = bpos % 8;
        if (code < 0) {
            throw new Error("Wrong input at " + idx);
        }
        value[vidx] |= code << (bpos*4);
        if(bpos == 7) vidx++;
        bpos ++;
    }
    return value;
};

var from_u8 = function(in_value, max_size) {
    var vidx = 0;
    var bpos = 0;
    var size = Math.ceil(in_value.length / 4);
    size = Math.max(size, max_size || size);
    var value = new Uint32Array(size);
    var idx;
    var code;

    if(in_value.toString() === '[object Uint32Array]') {
        throw new Error("fuck off");
    }

    for(idx=in_value.length-1; idx >= 0; idx-- ) {
        code = in_value[idx];
        bpos = bpos % 4;

        if (code < 0) {
            code = 256 + code;
        }
        value[vidx] |= code << (bpos*8);

        if(bpos === 3) vidx++;
        bpos++;
    }

    return value;
};

module.exports = Field;
module.exports.from_hex = from_hex;
module.exports.from_u8 = from_u8;
module.exports.set_impl = function (_impl) {
    impl = _impl;
};

},{"./gf2m.js":36,"buffer":20}],36:[function(require,module,exports){
/* eslint-disable no-bitwise,no-plusplus,no-constant-condition,camelcase,no-param-reassign,no-continue,no-underscore-dangle,no-cond-assign */

function blength(_bytes) {
  let r = 1;

  let t;

  let x;

  let nz;
  nz = _bytes.length - 1;
  while (_bytes[nz] === 0) {
    nz--;
  }

  x = _bytes[nz];
  if ((t = x >>> 16) !== 0) {
    x = t;
    r += 16;
  }
  if ((t = x >> 8) !== 0) {
    x = t;
    r += 8;
  }
  if ((t = x >> 4) !== 0) {
    x = t;
    r += 4;
  }
  if ((t = x >> 2) !== 0) {
    x = t;
    r += 2;
  }
  if ((t = x >> 1) !== 0) {
    x = t;
    r += 1;
  }
  return r + nz * 32;
}

/* _bytes should be Uint32Array */
function shiftRight(_bytes, right, inplace) {
  const wright = Math.floor(right / 32);
  right %= 32;

  let idx;

  const blen = _bytes.length;

  const left = 32 - right;

  let mask_f = (1 << (1 + right)) - 1;

  let _rbytes;

  let tmp;

  if (right === 31) mask_f = 0xffffffff;

  if (inplace === true) {
    _rbytes = _bytes;
  } else {
    _rbytes = new Uint32Array(blen);
  }

  _rbytes[0] = _bytes[0] >>> right;
  for (idx = 1; idx < blen; idx++) {
    tmp = _bytes[idx] & mask_f;

    _rbytes[idx] = _bytes[idx] >>> right;
    _rbytes[idx - 1] |= tmp << left;
  }

  if (wright === 0) return _rbytes;

  for (idx = 0; idx < blen; idx++) {
    _rbytes[idx] = _rbytes[idx + wright] || 0;
  }

  return _rbytes;
}

function mul_1x1(ret, offset, a, b) {
  const top2b = a >>> 30;
  const ol = offset;
  const oh = offset + 1;

  let s;
  let l;
  let h;

  const a1 = a & 0x3fffffff;
  const a2 = a1 << 1;
  const a4 = a2 << 1;

  const tab = [0, a1, a2, a1 ^ a2, a4, a1 ^ a4, a2 ^ a4, a1 ^ a2 ^ a4];

  s = tab[b & 0x7];
  l = s;
  s = tab[(b >>> 3) & 0x7];
  l ^= s << 3;
  h = s >>> 29;
  s = tab[(b >>> 6) & 0x7];
  l ^= s << 6;
  h ^= s >>> 26;
  s = tab[(b >>> 9) & 0x7];
  l ^= s << 9;
  h ^= s >>> 23;
  s = tab[(b >>> 12) & 0x7];
  l ^= s << 12;
  h ^= s >>> 20;
  s = tab[(b >>> 15) & 0x7];
  l ^= s << 15;
  h ^= s >>> 17;
  s = tab[(b >>> 18) & 0x7];
  l ^= s << 18;
  h ^= s >>> 14;
  s = tab[(b >>> 21) & 0x7];
  l ^= s << 21;
  h ^= s >>> 11;
  s = tab[(b >>> 24) & 0x7];
  l ^= s << 24;
  h ^= s >>> 8;
  s = tab[(b >>> 27) & 0x7];
  l ^= s << 27;
  h ^= s >>> 5;
  s = tab[b >>> 30];
  l ^= s << 30;
  h ^= s >>> 2;

  if (top2b & 1) {
    l ^= b << 30;
    h ^= b >>> 2;
  }
  if (top2b & 2) {
    l ^= b << 31;
    h ^= b >>> 1;
  }

  ret[oh] = h;
  ret[ol] = l;
}

function mul_2x2(a1, a0, b1, b0, ret) {
  mul_1x1(ret, 2, a1, b1);
  mul_1x1(ret, 0, a0, b0);
  mul_1x1(ret, 4, a0 ^ a1, b0 ^ b1);

  ret[2] ^= ret[5] ^ ret[1] ^ ret[3];
  ret[1] = ret[3] ^ ret[2] ^ ret[0] ^ ret[4] ^ ret[5];
  ret[4] = 0;
  ret[5] = 0;

  return ret;
}

function fmul(a, b, s) {
  let y1;
  let y0;
  let x1;
  let x0;
  const a_len = a.length;
  const b_len = b.length;

  for (let i = 0; i < s.length; i++) {
    s[i] = 0;
  }

  const x22 = new Uint32Array(6);

  for (let j = 0; j < b_len; j += 2) {
    y0 = b[j];
    y1 = j + 1 === b_len ? 0 : b[j + 1];

    for (let i = 0; i < a_len; i += 2) {
      x0 = a[i];
      x1 = i + 1 === a_len ? 0 : a[i + 1];

      mul_2x2(x1, x0, y1, y0, x22);
      s[j + i + 0] ^= x22[0];
      s[j + i + 1] ^= x22[1];
      s[j + i + 2] ^= x22[2];
      s[j + i + 3] ^= x22[3];
    }
  }
}

const BITS = 32;

function fmod(a, p, ret) {
  let ret_len;
  let zz;
  let k;
  let n;
  let d0;
  let d1;
  let tmp_ulong;
  let j;

  if (!ret) {
    ret_len = a.length;
    ret = new Uint32Array(ret_len);
    for (k = 0; k < ret_len; k++) ret[k] = a[k];
  }

  /* start reduction */
  const dN = Math.floor(p[0] / BITS);
  for (j = ret_len - 1; j > dN; ) {
    zz = ret[j];
    if (ret[j] === 0) {
      j--;
      continue;
    }
    ret[j] = 0;

    for (k = 1; p[k]; k++) {
      /* reducing component t^p[k] */
      n = p[0] - p[k];
      d0 = n % BITS;
      d1 = BITS - d0;
      n = Math.floor(n / BITS);
      ret[j - n] ^= zz >>> d0;
      if (d0) ret[j - n - 1] ^= zz << d1;
    }

    /* reducing component t^0 */
    n = dN;
    d0 = p[0] % BITS;
    d1 = BITS - d0;
    ret[j - n] ^= zz >>> d0;
    if (d0) ret[j - n - 1] ^= zz << d1;
  }

  /* final round of reduction */
  while (j === dN) {
    d0 = p[0] % BITS;
    zz = ret[dN] >>> d0;
    if (zz === 0) break;
    d1 = BITS - d0;

    /* clear up the top d1 bits */
    if (d0) ret[dN] = (ret[dN] << d1) >>> d1;
    else ret[dN] = 0;
    ret[0] ^= zz; /* reduction t^0 component */

    for (k = 1; p[k]; k++) {
      /* reducing component t^p[k] */
      n = Math.floor(p[k] / BITS);
      d0 = p[k] % BITS;
      d1 = BITS - d0;
      ret[n] ^= zz << d0;
      tmp_ulong = zz >>> d1;
      if (d0 && tmp_ulong) ret[n + 1] ^= tmp_ulong;
    }
  }

  return ret;
}

function finv(a, p, ret) {
  let b = new Uint32Array(a.length);
  let c = new Uint32Array(a.length);
  let v = new Uint32Array(a.length);

  b[0] = 1;
  let u = a;
  for (let idx = 0; idx < p.length; idx++) {
    v[idx] = p[idx];
  }

  let ubits = blength(u);
  let vbits = blength(v);

  while (1) {
    if (ubits < 0) throw new Error("Internal error");
    while (ubits && !(u[0] & 1)) {
      let u0 = u[0];
      let b0 = b[0];
      let u1;
      let b1;

      const mask = b0 & 1 ? 0xffffffff : 0;
      b0 ^= p[0] & mask;

      let idx;
      for (idx = 0; idx < p.length - 1; idx++) {
        u1 = u[idx + 1];
        u[idx] = (u0 >>> 1) | (u1 << 31);
        u0 = u1;
        b1 = b[idx + 1] ^ (p[idx + 1] & mask);
        b[idx] = (b0 >>> 1) | (b1 << 31);
        b0 = b1;
      }

      u[idx] = u0 >> 1;
      b[idx] = b0 >> 1;
      ubits--;
    }

    if (ubits <= 32 && u[0] === 1) break;

    if (ubits < vbits) {
      let tmp = ubits;
      ubits = vbits;
      vbits = tmp;
      tmp = u;
      u = v;
      v = tmp;
      tmp = b;
      b = c;
      c = tmp;
    }

    for (let idx = 0; idx < p.length; idx++) {
      u[idx] ^= v[idx];
      b[idx] ^= c[idx];
    }

    if (ubits === vbits) {
      ubits = blength(u);
    }
  }

  for (let idx = 0; idx < b.length; idx++) {
    ret[idx] = b[idx];
  }
}

module.exports = {
  mul_2x2,
  shiftRight,
  blength,
  mod: fmod,
  mul: fmul,
  inv: finv
};

},{}],37:[function(require,module,exports){
(function (Buffer){(function (){
/* eslint-disable camelcase */
/* eslint-disable no-underscore-dangle */
/* eslint-disable no-bitwise */
const asn1 = require("asn1.js");
const jk = require("../curve.js");

const rfc3280 = require("../spec/rfc3280.js");

const util = require("../util.js");
const strutil = require("../util/str");
const pem = require("../util/pem");
const { b64_encode } = require("../util/base64.js");

const OID = {
  "1 2 804 2 1 1 1 11 1 4 1 1": "DRFO",
  "1 2 804 2 1 1 1 11 1 4 7 1": "DRFO",
  "1 2 804 2 1 1 1 11 1 4 2 1": "EDRPOU"
};

const OID_LINK = {
  "1 3 6 1 5 5 7 48 1": "ocsp",
  "1 3 6 1 5 5 7 48 2": "issuers",
  "1 3 6 1 5 5 7 48 3": "tsp"
};

const IPN_VAL = asn1.define("IPN_VAL", function body_IPN_VAL() {
  this.implicit(0x13).octstr();
});

const IPN_ID = asn1.define("IPN_ID", function body_IPN_ID() {
  this.seq().obj(this.key("id").objid(OID), this.key("val").setof(IPN_VAL));
});

const IPN = asn1.define("IPN", function body_IPN() {
  this.seqof(IPN_ID);
});

const UsageBits = asn1.define("USage", function body_Usage() {
  this.bitstr();
});

const Link = asn1.define("Link", function body_LINK() {
  this.seq().obj(
    this.key("id").objid(OID_LINK),
    this.key("link")
      .implicit(6)
      .ia5str()
  );
});

const AIA = asn1.define("AIA", function body_AIA() {
  this.seqof(Link);
});

const KeyId = asn1.define("KeyId", function body_KeyId() {
  this.choice({
    str: this.octstr(),
    seq: this.seq().obj(
      this.key("str")
        .implicit(0)
        .octstr()
    )
  });
});

const CertificateList = asn1.define("CertificateValues", function() {
  this.seqof(rfc3280.Certificate);
});

function reprstr(buf) {
  let off = 2;
  if (buf[1] & 0x80) {
    off += buf[1] ^ 0x80;
  }
  if (buf[0] === 0xc) {
    return buf.slice(off).toString("utf8");
  }
  return buf.slice(off).toString("binary");
}

function str(input) {
  const STR = asn1.define("STR", function STR() {
    this.octstr();
  });
  return STR.encode(input, "der");
}

function formatDN(rdnlist) {
  const part = [];
  rdnlist.forEach(elements => {
    elements.forEach(el => {
      part.push(`${el.type}=${reprstr(el.value)}`);
    });
  });
  return part.join("/");
}

function formatRDN(serial, rdnlist) {
  const ret = serial.toString(16);
  return `${ret}@${formatDN(rdnlist)}`;
}

function parse_aia(data) {
  const asn_aia = AIA.decode(data, "der");
  return asn_aia.reduce((acc, item) => {
    acc[item.id] = item.link;
    return acc;
  });
}

function parse_ipn(data) {
  const ret = {};
  const asn_ib = IPN.decode(data, "der");
  for (let i = 0; i < asn_ib.length; i += 1) {
    const part = asn_ib[i];
    ret[part.id] = String.fromCharCode.apply(null, part.val[0]);
  }
  return ret;
}

function optional(fn) {
  return function(data) {
    return data ? fn(data) : null;
  };
}

function parse_ext(asn_ob) {
  const ext = {};
  for (let part of asn_ob) {
    ext[part.extnID] = part.extnValue;
  }
  return {
    keyUsage: ext.keyUsage,
    extendedKeyUsage: ext.extendedKeyUsage,
    basicConstraints: ext.basicConstraints,
    ipn: optional(parse_ipn)(ext.subjectDirectoryAttributes),
    authorityInfoAccess: optional(parse_aia)(ext.authorityInfoAccess),
    subjectInfoAccess: optional(parse_aia)(ext.subjectInfoAccess),
    subjectKeyIdentifier: optional(parseKeyId)(ext.subjectKeyIdentifier),
    authorityKeyIdentifier: optional(parseKeyId)(ext.authorityKeyIdentifier)
  };
}

function parse_dn(asn_ob) {
  const ret = {};
  for (let i = 0; i < asn_ob.length; i += 1) {
    for (let j = 0; j < asn_ob[i].length; j += 1) {
      const part = asn_ob[i][j];
      ret[part.type] = reprstr(part.value);
    }
  }
  return ret;
}

function parseKeyId(buffer) {
  const ob = KeyId.decode(buffer, "der");
  return ob.type === "str" ? ob.value : ob.value.str;
}

function as_hex(buffer) {
  return buffer.toString("hex");
}

function makeRDN(obj) {
  return {
    type: "rdn",
    value: Object.entries(obj).map(([type, value]) => [
      { type, value: strutil.encodeUtf8Str(value, "der") }
    ])
  };
}

class Certificate {
  static from_asn1(data) {
    const cert = rfc3280.Certificate.decode(data, "der");
    cert._raw = data;
    return new Certificate(cert);
  }

  static from_pem(data) {
    return Certificate.from_asn1(pem.maybe_pem(data));
  }

  static encodeTBS(obj) {
    return rfc3280.TBSCertificate.encode(obj, "der");
  }

  static createTBS({
    serial,
    pubkey,
    algorithm,
    sbox,
    curve,
    issuer,
    subject,
    valid,
    usage,
    hash
  }) {
    return {
      version: "v3",
      serialNumber: serial,
      issuer: makeRDN(issuer),
      subject: makeRDN(subject),
      subjectPublicKeyInfo: {
        subjectPublicKey: {
          data: pubkey.serialize()
        },
        algorithm: {
          algorithm,
          parameters: {
            curve: { type: "id", value: curve },
            dke: sbox
          }
        }
      },
      validity: {
        notBefore: { type: "utcTime", value: valid.from },
        notAfter: { type: "utcTime", value: valid.to }
      },
      extensions: [
        {
          extnID: "subjectKeyIdentifier",
          extnValue: str(pubkey.keyid({ hash }))
        },
        {
          extnID: "authorityKeyIdentifier",
          extnValue: str(pubkey.keyid({ hash }))
        },
        {
          extnID: "keyUsage",
          extnValue: Buffer.from(usage, "binary"),
          critical: true
        }
      ],
      signature: {
        algorithm
      }
    };
  }

  static signCert({ privkey, hash, certData }) {
    const tbs = Certificate.createTBS(
      Object.assign(
        {},
        {
          algorithm: privkey.algorithm,
          curve: privkey.curve.name(),
          sbox: privkey.sbox,
          hash,
          pubkey: privkey.pub()
        },
        certData
      )
    );
    return new Certificate({
      tbsCertificate: tbs,
      signatureAlgorithm: {
        algorithm: privkey.algorithm
      },
      signature: {
        unused: 0,
        data: str(privkey.sign(hash(Certificate.encodeTBS(tbs)), "le"))
      }
    });
  }

  constructor(cert, lazy) {
    this.setup(cert, lazy);
    this._raw = cert._raw;
    delete cert._raw; // eslint-disable-line no-param-reassign
  }

  setup(cert, lazy) {
    const tbs = cert.tbsCertificate;

    const pk = tbs.subjectPublicKeyInfo;

    const pk_data = pk.subjectPublicKey.data.slice(2);

    this.format = "x509";
    this.curve =
      pk.algorithm.algorithm === "Dstu4145le"
        ? jk.Curve.resolve(pk.algorithm.parameters.curve, "cert")
        : null;
    this.curve_id =
      pk.algorithm.algorithm === "ECDSA" ? pk.algorithm.parameters.value : null;
    this.pk_data = util.BIG_LE(pk_data);
    this.valid = {
      from: tbs.validity.notBefore.value,
      to: tbs.validity.notAfter.value
    };
    this.serial = cert.tbsCertificate.serialNumber;
    this.signatureAlgorithm = cert.signatureAlgorithm.algorithm;
    this.pubkeyAlgorithm =
      cert.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm;
    this.extension = parse_ext(cert.tbsCertificate.extensions);
    this.issuer = parse_dn(cert.tbsCertificate.issuer.value);
    this.subject = parse_dn(cert.tbsCertificate.subject.value);
    this.ob = cert;
    if (!lazy && this.curve) {
      this.pubkey_unpack();
    }
  }

  verify({ time, usage }, hashes, lookupFn) {
    const issuer = lookupFn(this.issuerDN(), this.authorityKeyId);
    return (
      issuer &&
      (issuer.isRoot()
        ? issuer.trusted && issuer.verifySelfSigned({ time }, hashes)
        : issuer.verify(
            { time: this.valid.from, usage: "ca" },
            hashes,
            lookupFn
          )) &&
      (usage ? this.canUseFor(usage) : true) &&
      this.verifyTime(Number(time)) &&
      this.verifySignature(issuer.pubkey_unpack(), hashes) &&
      this.extension.authorityKeyIdentifier.equals(
        issuer.extension.subjectKeyIdentifier
      ) &&
      this.extension.subjectKeyIdentifier.equals(
        this.pubkey.keyid({ hash: hashes.Dstu4145le })
      )
    );
  }

  verifySelfSigned({ time, usage }, hashes) {
    return usage
      ? this.canUseFor(usage)
      : true &&
          this.verifyTime(time) &&
          this.verifySignature(this.pubkey_unpack(), hashes) &&
          this.pubkey
            .keyid({ hash: hashes.Dstu4145le })
            .equals(this.extension.subjectKeyIdentifier) &&
          this.extension.authorityKeyIdentifier.equals(
            this.extension.subjectKeyIdentifier
          );
  }

  verifyTime(time) {
    return time >= this.valid.from && time < this.valid.to;
  }

  verifySignature(pubkey, hashFuncs) {
    const tbs = Certificate.encodeTBS(this.ob.tbsCertificate);
    const hashFn = hashFuncs[this.signatureAlgorithm];
    if (!hashFn) return false;

    const tbsHash = hashFn(tbs);
    return pubkey.verify(tbsHash, this.ob.signature.data);
  }

  getCompleteChain(lookupFn) {
    if (this.isRoot()) {
      return [];
    }
    const issuer = lookupFn(this.issuerDN(), this.authorityKeyId);
    return [issuer, ...issuer.getCompleteChain(lookupFn)];
  }

  pubkey_unpack() {
    if (!this.pubkey) this.pubkey = this.curve.pubkey(this.pk_data);
    return this.pubkey;
  }

  as_asn1() {
    if (this._raw !== undefined) {
      return this._raw;
    }

    return rfc3280.Certificate.encode(this.ob, "der");
  }

  to_asn1() {
    return this.as_asn1();
  }

  as_pem() {
    return `-----BEGIN CERTIFICATE-----\n${b64_encode(this.to_asn1(), {
      line: 16,
      pad: true
    })}\n-----END CERTIFICATE-----`;
  }

  to_pem() {
    return this.as_pem();
  }

  as_dict() {
    const x = this;
    return {
      subject: x.subject,
      issuer: x.issuer,
      extension: {
        ipn: x.extension.ipn,
        authorityInfoAccess: x.extension.authorityInfoAccess,
        subjectInfoAccess: x.extension.subjectInfoAccess,
        subjectKeyIdentifier: optional(as_hex)(
          x.extension.subjectKeyIdentifier
        ),
        authorityKeyIdentifier: optional(as_hex)(
          x.extension.authorityKeyIdentifier
        )
      },
      usage: {
        sign: this.canUseFor("sign"),
        encrypt: this.canUseFor("encrypt")
      },
      valid: x.valid
    };
  }

  nameSerial() {
    return {
      issuer: this.ob.tbsCertificate.issuer,
      serialNumber: this.ob.tbsCertificate.serialNumber
    };
  }

  rdnSerial() {
    return formatRDN(
      this.ob.tbsCertificate.serialNumber,
      this.ob.tbsCertificate.issuer.value
    );
  }

  isRoot() {
    return this.issuerDN() === this.subjectDN();
  }

  issuerDN() {
    return formatDN(this.ob.tbsCertificate.issuer.value);
  }

  subjectDN() {
    return formatDN(this.ob.tbsCertificate.subject.value);
  }

  name_asn1() {
    return rfc3280.Name.encode(this.ob.tbsCertificate.issuer, "der");
  }

  canUseFor(op) {
    const { keyUsage, extendedKeyUsage, basicConstraints } = this.extension;
    if (op === "ca") {
      if (!basicConstraints) {
        return false;
      }
      const basic = rfc3280.BasicConstraints.decode(basicConstraints, "der");
      return basic.cA;
    }
    const usage = {
      sign: 0x80,
      encrypt: 0x08
    };
    if (usage.hasOwnProperty(op)) {
      const bits = UsageBits.decode(keyUsage, 'der');
      const mask = usage[op];
      return (mask & bits.data[0]) === mask;
    }
    if (!extendedKeyUsage) {
      return true;
    }
    const usages = rfc3280.ExtKeyUsageSyntax.decode(extendedKeyUsage, "der");
    return usages.includes(op);
  }

  get ocspLink() {
    const { id, link } = this.extension.authorityInfoAccess;
    return id === "ocsp" ? link : null;
  }
}

Certificate.List = {
  toCades(list) {
    return CertificateList.encode(list.map(iter => iter.ob), "der");
  }
};

module.exports = Certificate;
module.exports.formatRDN = formatRDN;
module.exports.formatDN = formatDN;

}).call(this)}).call(this,require("buffer").Buffer)
},{"../curve.js":34,"../spec/rfc3280.js":52,"../util.js":57,"../util/base64.js":58,"../util/pem":61,"../util/str":62,"asn1.js":2,"buffer":20}],38:[function(require,module,exports){
const { IssuerAndSerialNumber } = require("../spec/dstszi2010.js");
const cades = require("../spec/rfc5126-cades.js");

class CertificateRef {
  constructor(ob) {
    this.ob = ob;
  }
}

CertificateRef.fromCert = function(cert, hashFn) {
  return new CertificateRef({
    otherCertHash: {
      hashAlgorithm: {
        algorithm: hashFn.algo || "Gost34311"
      },
      hashValue: hashFn(cert.to_asn1())
    },
    issuerSerial: cert.nameSerial()
  });
};

CertificateRef.toCades = function(list) {
  return cades.CompleteCertificateRefs.encode(list.map(iter => iter.ob), "der");
};

module.exports = CertificateRef;

},{"../spec/dstszi2010.js":46,"../spec/rfc5126-cades.js":55}],39:[function(require,module,exports){
/* eslint-disable camelcase,no-bitwise */
const Buffer = require("buffer").Buffer;

const dstszi2010 = require("../spec/dstszi2010.js");
const rfc3280 = require("../spec/rfc3280");
const rfc3161 = require("../spec/rfc3161-tsp");
const certid = require("../spec/rfc5035-certid.js");

const transport = require("../util/transport");
const util = require("../util.js");
const { useContentTsp, useSignatureTsp } = require("../util/tsp");
const Certificate = require("./Certificate.js");
const OcspResponse = require("./OcspResponse.js");
const CertificateRef = require("./CertificateRef");

const { ContentInfo } = dstszi2010;

class ENOCERT extends Error {}

function cmp(buf1, buf2) {
  let xor = 0;
  let idx = 0;
  for (idx = 0; idx < buf1.length && idx < buf2.length; idx += 1) {
    xor |= buf1[idx] ^ buf2[idx];
  }
  return xor === 0;
}

class Attrs {
  constructor(list) {
    this.list = list;
  }

  get index() {
    const ret = {};
    if (!this.list) {
      return ret;
    }
    for (let attr of this.list) {
      if (typeof attr.type === "string") {
        ret[attr.type] = attr.values[0];
      }
    }
    return Object.freeze(ret);
  }

  setAttr(type, value) {
    for (let attr of this.list) {
      if (attr.type === type) {
        return attr.values.push(value);
      }
    }
    this.list.push({ type, values: [value] });
  }
}
class SignedAttrs extends Attrs {
  get messageDigest() {
    const messageDigest = this.index.messageDigest;
    if (
      !messageDigest ||
      messageDigest[0] !== 0x04 ||
      messageDigest[1] !== messageDigest.length - 2
    ) {
      return null;
    }

    return messageDigest.slice(2);
  }

  set messageDigest(value) {
    this.setAttr("messageDigest", dstszi2010.Data.encode(value, "der"));
  }

  get signingTime() {
    const stime = this.index.signingTime;
    return (stime && rfc3280.Time.decode(stime, "der").value) || null;
  }

  set signingTime(value) {
    const raw = rfc3280.Time.encode({ type: "utcTime", value }, "der");
    this.setAttr("signingTime", raw);
  }

  get contentTimeStamp() {
    const raw = this.index.contentTimeStamp;
    return (raw && new Message(raw)) || null;
  }

  set contentTimeStamp(value) {
    this.setAttr("contentTimeStamp", value);
  }

  set signingCertificateV2(value) {
    this.setAttr(
      "signingCertificateV2",
      certid.SigningCertificateV2.wrap(value.cert.ob, value.hash)
    );
  }

  set contentType(value) {
    const raw = dstszi2010.ContentType.encode(value, "der");
    this.setAttr("contentType", raw);
  }
}

class UnsignedAttrs extends Attrs {
  get timeStampToken() {
    const raw = this.index.timeStampToken;
    return (raw && new Message(raw)) || null;
  }

  set timeStampToken(value) {
    this.setAttr("timeStampToken", value);
  }

  get revocationValues() {
    const raw = this.index.revocationValues;
    return (raw && OcspResponse.fromCades(raw)) || [];
  }

  set revocationValues(value) {
    this.setAttr("revocationValues", OcspResponse.toCades(value));
  }

  get revocationRefs() {
    const raw = this.index.revocationRefs;
    return (raw && OcspResponse.Ref.fromCades(raw)) || [];
  }

  set revocationRefs(value) {
    this.setAttr("revocationRefs", OcspResponse.Ref.toCades(value));
  }

  set certificateRefs(value) {
    this.setAttr("certificateRefs", CertificateRef.toCades(value));
  }

  set certificateValues(value) {
    this.setAttr("certificateValues", Certificate.List.toCades(value));
  }
}

class Message {
  constructor(asn1Ob) {
    if (Buffer.isBuffer(asn1Ob)) {
      this.parse(asn1Ob);
    } else if (typeof asn1Ob === "object") {
      this.constructMessage(asn1Ob);
    }
  }

  constructMessage(ob) {
    if (ob.type === "signedData") {
      this.constructSigned(ob);
    }
    if (ob.type === "envelopedData") {
      this.constructEnveloped(ob);
    }
    if (ob.type === "data") {
      this.constructData(ob);
    }
    this.cert = ob.cert;
  }

  constructData(ob) {
    const wrap = {
      contentType: ob.type,
      content: ob.data
    };
    this.wrap = wrap;
  }

  constructEnveloped(ob) {
    const { cert } = ob;
    const algo = cert.ob.tbsCertificate.subjectPublicKeyInfo.algorithm;
    const { dke } = algo.parameters;

    const enc = ob.crypter.encrypt(ob.data, ob.toCert, ob.algo);
    const kari = {
      version: 3,
      originator: {
        type: "issuerAndSerialNumber",
        value: cert.nameSerial()
      },
      ukm: enc.ukm,
      keyEncryptionAlgorithm: {
        algorithm: "dhSinglePass-cofactorDH-gost34311kdf",
        parameters: {
          algorithm: "Gost28147-cfb-wrap",
          parameters: null
        }
      },
      recipientEncryptedKeys: [
        {
          rid: {
            type: "issuerAndSerialNumber",
            value: ob.toCert.nameSerial()
          },
          encryptedKey: enc.wcek
        }
      ]
    };

    const wrap = {
      contentType: ob.type,
      content: {
        version: 2,
        recipientInfos: [
          {
            type: "kari",
            value: kari
          }
        ],
        encryptedContentInfo: {
          contentType: "data",
          encryptedContent: enc.data,
          contentEncryptionAlgorithm: {
            algorithm: "Gost28147-cfb",
            parameters: {
              type: "params",
              value: {
                iv: enc.iv,
                dke
              }
            }
          }
        }
      }
    };
    this.wrap = wrap;
  }

  constructSigned(ob) {
    const digestB = ob.dataHash || (ob.data && ob.hash(ob.data));
    let { signB } = ob;
    const { tspB, tspTokenB } = ob;

    const wrap = {
      contentType: ob.type,
      content: {
        version: 1,
        digestAlgorithms: [{ algorithm: "Gost34311" }],
        contentInfo: ob.data
          ? { contentType: "data", content: ob.data }
          : { contentType: "data" },
        certificate: [ob.cert.ob],
        signerInfos: [
          {
            version: 1,
            sid: {
              type: "issuerAndSerialNumber",
              value: ob.cert.nameSerial()
            },
            digestAlgorithm: { algorithm: "Gost34311" },
            digestEncryptionAlgorithm: { algorithm: "Dstu4145le" },
            encryptedDigest: signB
          }
        ]
      }
    };
    this.wrap = wrap;
    this.attrs = [];
    this.uattrs = [];
    this.parseAttrs();
    this.pattrs.signingCertificateV2 = {
      cert: ob.cert,
      hash: ob.hash(ob.cert.as_asn1())
    };
    this.pattrs.contentType = "data";
    this.pattrs.messageDigest = digestB;
    if (tspB) {
      this.pattrs.contentTimeStamp = tspB;
    }
    this.pattrs.signingTime =
      ob.signTime === undefined
        ? new Date(Date.now())
        : new Date(1000 * ob.signTime);
    this.saveAttrs();

    if (!signB) {
      this.addSignature(ob.hash, ob.signer);
    }
    this.addSignatureToken(tspTokenB);
  }

  addSignature(hash_f, signer) {
    this.signature = signer.sign(this.mhash(hash_f), "le");
    this.saveAttrs();
  }

  addSignatureToken(tspTokenB) {
    if (!tspTokenB) {
      return;
    }
    this.puattrs.timeStampToken = tspTokenB;
    this.saveAttrs();
  }

  addOcspResponses(list) {
    if (!list.length) {
      return;
    }
    this.puattrs.revocationValues = list;
    this.saveAttrs();
  }

  addOcspHashes(list) {
    if (!list.length) {
      return;
    }
    this.puattrs.revocationRefs = list;
    this.saveAttrs();
  }

  addCertRefs(list) {
    if (!list.length) {
      return;
    }
    this.puattrs.certificateRefs = list;
    this.saveAttrs();
  }

  addCertValues(list) {
    if (!list.length) {
      return;
    }
    this.puattrs.certificateValues = list;
    this.saveAttrs();
  }

  get type() {
    return this.wrap.contentType;
  }

  get info() {
    return this.wrap.content;
  }

  parse(data) {
    this.wrap = ContentInfo.decode(data, "der");

    if (this.type === "envelopedData") {
      // extract encryption params from asn1
      this.enc_info = this.info.encryptedContentInfo;
      this.enc_params = this.enc_info.contentEncryptionAlgorithm.parameters.value;
      if (this.info.recipientInfos.length === 1) {
        this.rki = this.info.recipientInfos[0].value;
      }
      this.enc_contents = this.info.encryptedContentInfo.encryptedContent;
    }
    if (this.type === "signedData" && this.info.signerInfos.length) {
      this.attrs = this.info.signerInfos[0].authenticatedAttributes;
      this.uattrs = this.info.signerInfos[0].unauthenticatedAttributes;
    }
    this.parseAttrs();
  }

  mhash(hash_f) {
    let dataToSign;
    if (this.attrs) {
      dataToSign = dstszi2010.Attributes.encode(this.attrs, "der");
    } else {
      dataToSign = this.info.contentInfo.content;
    }
    return hash_f(dataToSign);
  }

  parseAttrs() {
    this.pattrs = new SignedAttrs(this.attrs);
    this.puattrs = new UnsignedAttrs(this.uattrs);
  }

  saveAttrs() {
    this.info.signerInfos[0].authenticatedAttributes = this.pattrs.list;
    if (this.puattrs.list.length) {
      this.info.signerInfos[0].unauthenticatedAttributes = this.puattrs.list;
    }
  }

  verifyAttrs(hash_f, lookupCert, lookupCA, opts = {}) {
    if (!this.attrs) {
      return true;
    }

    let ok;
    ok = this.verifyAttrDigest(this.pattrs.messageDigest, hash_f);
    ok = ok && this.verifySigningTime(this.pattrs.signingTime, lookupCert);
    if (useContentTsp(opts.tsp)) {
      ok =
        ok &&
        this.verifyTimestampToken(
          this.pattrs.contentTimeStamp,
          hash_f,
          lookupCert,
          lookupCA,
          "content"
        );
    }
    if (useSignatureTsp(opts.tsp)) {
      ok =
        ok &&
        this.verifyTimestampToken(
          this.puattrs.timeStampToken,
          hash_f,
          lookupCert,
          lookupCA,
          "signature"
        );
    }

    return ok;
  }

  verifyAttrDigest(dgst, hash_f) {
    if (!dgst) {
      return false;
    }
    const dataToSign = this.info.contentInfo.content;
    const hashbuf = hash_f(dataToSign);
    return cmp(dgst, hashbuf);
  }

  verifySigningTime(time, lookupCert) {
    if (!time) {
      return true;
    }
    const x509 = this.signer(lookupCert);
    return time >= x509.valid.from && time <= x509.valid.to;
  }

  verifyTimestampToken(msg, hash_f, lookupCert, lookupCA, imprintOf) {
    if (!msg) {
      return true;
    }
    const isSigned = msg.verify(hash_f, lookupCert, lookupCA);
    if (!isSigned) {
      return false;
    }
    const token = rfc3161.TSTInfo.decode(msg.content, "der");
    const signerValid = msg
      .signer(lookupCert)
      .verify(
        { time: token.genTime, usage: "timeStamping" },
        { Dstu4145le: hash_f },
        lookupCA
      );
    if (!signerValid) {
      return false;
    }

    if (token.messageImprint.hashAlgorithm.algorithm !== "Gost34311") {
      return false;
    }
    return cmp(token.messageImprint.hashedMessage, hash_f(this[imprintOf]));
  }

  get signature() {
    return this.info.signerInfos[0].encryptedDigest;
  }

  set signature(value) {
    this.info.signerInfos[0].encryptedDigest = value;
  }

  get content() {
    return this.info.contentInfo.content;
  }

  get signedWithCerts() {
    const tokens = [this.pattrs.contentTimeStamp, this.puattrs.timeStampToken]
      .filter(msg => msg)
      .map(msg => msg.signedWithCerts);
    return [this.signerRDN].concat(...tokens);
  }

  get signerRDN() {
    const [
      {
        sid: { type, value }
      }
    ] = this.info.signerInfos;
    if (type === "issuerAndSerialNumber") {
      return value;
    }
    if (type === "subjectKeyIdentifier") {
      return { keyid: value };
    }
    return null;
  }

  signer(lookupCert) {
    const [certificate] = this.info.certificate || [];
    if (certificate) {
      return new Certificate(certificate);
    }
    const query = this.signerRDN;
    const pubkey = query && lookupCert(query);
    if (pubkey) {
      return pubkey;
    }
    throw new ENOCERT();
  }

  get tokenTime() {
    const msg = this.puattrs.timeStampToken;
    if (!msg) {
      return null;
    }
    const token = rfc3161.TSTInfo.decode(msg.info.contentInfo.content, "der");
    return token.genTime;
  }

  get contentTime() {
    const msg = this.pattrs.contentTimeStamp;
    if (!msg) {
      return null;
    }
    const token = rfc3161.TSTInfo.decode(msg.info.contentInfo.content, "der");
    return token.genTime;
  }

  get receiverKey() {
    const ri = this.info.recipientInfos[0];
    if (ri.type !== "kari") {
      throw new ENOCERT();
    }
    return ri.value.recipientEncryptedKeys[0].rid;
  }

  verify(hash_f, lookupCert, lookupCA, opts = {}) {
    const hash = this.mhash(hash_f);

    if (!this.verifyAttrs(hash_f, lookupCert, lookupCA, opts)) {
      return false;
    }
    return this.signer(lookupCert).pubkey.verify(hash, this.signature, "le");
  }

  decrypt(crypter, algo, lookupCert) {
    let pubkey;
    const ri = this.info.recipientInfos[0];
    if (ri.type !== "kari") {
      throw new ENOCERT();
    }

    if (ri.value.originator.type === "issuerAndSerialNumber") {
      pubkey = lookupCert(ri.value.originator.value);
      if (!pubkey) {
        throw new ENOCERT();
      }
      pubkey = pubkey.pubkey; // eslint-disable-line prefer-destructuring
    }
    if (ri.value.originator.type === "originatorKey") {
      const { originator } = this.info.recipientInfos[0].value;
      pubkey = originator.value.publicKey.data.slice(2);
      pubkey = crypter.curve.pubkey(util.add_zero(pubkey, true), "buf8");
    }
    const enc = this.info.encryptedContentInfo;

    const enc_param = enc.contentEncryptionAlgorithm.parameters.value;

    const rp = this.info.recipientInfos[0].value.recipientEncryptedKeys[0];
    const p = {
      ukm: this.info.recipientInfos[0].value.ukm,
      iv: enc_param.iv,
      wcek: rp.encryptedKey
    };
    return crypter.decrypt(enc.encryptedContent, pubkey, p, algo);
  }

  as_asn1() {
    const buf = ContentInfo.encode(this.wrap, "der");
    return buf;
  }

  as_transport(opts, addCert) {
    const docs = [];

    let magic;

    if (this.type === "signedData") {
      magic = "UA1_SIGN";
    }
    if (this.type === "envelopedData") {
      magic = "UA1_CRYPT";
    }
    if (addCert) {
      docs.push({ type: "CERTCRYPT", contents: this.cert.as_asn1() });
    }
    docs.push({ type: magic, contents: this.as_asn1() });
    return transport.encode(docs, opts);
  }
}

module.exports = Message;
module.exports.ENOCERT = ENOCERT;

},{"../spec/dstszi2010.js":46,"../spec/rfc3161-tsp":51,"../spec/rfc3280":52,"../spec/rfc5035-certid.js":54,"../util.js":57,"../util/transport":63,"../util/tsp":64,"./Certificate.js":37,"./CertificateRef":38,"./OcspResponse.js":40,"buffer":20}],40:[function(require,module,exports){
const cades = require("../spec/rfc5126-cades.js");
const rfc2560 = require("../spec/rfc2560-ocsp");
const Certificate = require("./Certificate");

class OCSPError extends Error {}

function encodeSpec(cert, serial, hashFn) {
  return (certSpec = {
    hashAlgorithm: {
      algorithm: hashFn.algo || "Gost34311"
    },
    issuerNameHash: hashFn(cert.name_asn1()),
    issuerKeyHash: cert.extension.authorityKeyIdentifier,
    serialNumber: serial
  });
}

function findByName(query, list) {
  const rdn = Certificate.formatDN(query.value);
  for (let cert of list) {
    if (Certificate.formatDN(cert.tbsCertificate.subject.value) === rdn) {
      return new Certificate(cert);
    }
  }
  throw new OCSPError();
}

function findByKey(query, list) {
  for (let cert of list) {
    const keyIdExt = cert.tbsCertificate.extensions.find(e => e.extnID === 'subjectKeyIdentifier');
    if (!keyIdExt) {
      continue;
    }
    if (keyIdExt.extnValue.slice(2).equals(query)) {
      return new Certificate(cert);
    }
  }
  throw new OCSPError();
}

function checkNonce(tbs, nonce) {
  const ext = tbs.responseExtensions.find(part => part.extnID === "OCSPNonce");
  if (!ext || !ext.extnValue.equals(nonce)) {
    throw new OCSPError();
  }
}

function findByIssuerSerial(list, issuerDN, serial) {
  return list.find(
    iter =>
      Certificate.formatDN(iter.tbsCertificate.issuer.value) === issuerDN &&
      iter.tbsCertificate.serialNumber.eq(serial)
  );
}

class Ref {
  constructor(ob) {
    this.ob = ob;
  }
}

Ref.toCades = function(list) {
  const ob = list.map(iter =>
    iter.length ? { ocspids: { ocspResponses: iter.map(ref => ref.ob) } } : {}
  );
  return cades.RevocationRefs.encode(ob, "der");
};

Ref.fromCades = function(raw) {
  const response = cades.RevocationRefs.decode(raw, "der");
  return response.map(ob =>
    ((ob.ocspids && ob.ocspids.ocspResponses) || []).map(iter => new Ref(iter))
  );
};

class OcspResponse {
  constructor(basic) {
    this.ob = basic;
  }

  makeRef(ctx) {
    return new Ref({
      ocspIdentifier: {
        ocspResponderID: this.ob.tbsResponseData.responderID,
        producedAt: this.ob.tbsResponseData.producedAt
      },
      ocspRepHash: {
        hashAlgorithm: {
          algorithm: ctx.hashFn.algo || "Gost34311"
        },
        hashValue: ctx.hashFn(this.to_asn1())
      }
    });
  }

  matches(cert, serial, ctx) {
    const response = this.ob;
    const [status] = response.tbsResponseData.responses;

    const spec = OcspResponse.encodeSpec(cert, serial, ctx.hashFn);
    const specData = rfc2560.CertID.encode(spec);
    const respSpecData = rfc2560.CertID.encode(status.certID);
    return specData.equals(respSpecData);
  }

  verify(ctx, cert, serial, nonce, isOcspStamp) {
    const response = this.ob;
    const [status] = response.tbsResponseData.responses;

    const responderID = response.tbsResponseData.responderID;
    const queryFn = {
      byName: (query) => findByName(query , response.certs),
      byKey: (query) => findByKey(query, response.certs),
    }[responderID.type]
    if (!queryFn) {
      throw new OCSPError();
    }
    const responder = queryFn(responderID.value)
    const responderOk = responder.verify(
      { time: status.thisUpdate, usage: "ocspSigning" },
      { Dstu4145le: ctx.hashFn },
      ctx.lookupCA
    );
    if (!responderOk) {
      throw new OCSPError();
    }

    const signedBySame = responder.extension.authorityKeyIdentifier.equals(
      cert.extension.authorityKeyIdentifier
    );
    if (!signedBySame) {
      throw new OCSPError();
    }

    const tbs = rfc2560.ResponseData.encode(response.tbsResponseData, "der");
    const isValid = responder
      .pubkey_unpack()
      .verify(ctx.hashFn(tbs), response.signature.data);
    if (!isValid) {
      throw new OCSPError();
    }

    if (!isOcspStamp) {
      checkNonce(response.tbsResponseData, nonce);
    }

    const spec = OcspResponse.encodeSpec(cert, serial, ctx.hashFn);
    const specData = rfc2560.CertID.encode(spec);
    const respSpecData = rfc2560.CertID.encode(status.certID);
    if (!specData.equals(respSpecData)) {
      throw new OCSPError();
    }

    return {
      requestOk: true,
      statusOk: status.certStatus.type === "good",
      time: status.thisUpdate,
      isOcspStamp,
      cert: findByIssuerSerial(response.certs, cert.issuerDN(), serial)
    };
  }

  to_asn1() {
    return rfc2560.BasicOCSPResponse.encode(this.ob, "der");
  }
}

OcspResponse.fromBasic = function(raw) {
  return new OcspResponse(rfc2560.BasicOCSPResponse.decode(raw, "der"));
};

OcspResponse.fromCades = function(raw) {
  const response = cades.RevocationValues.decode(raw, "der");
  return response.ocspVals.map(ob => new OcspResponse(ob));
};

OcspResponse.toCades = function(list) {
  const ocspVals = list.map(iter => iter.ob);
  return cades.RevocationValues.encode({ ocspVals }, "der");
};

OcspResponse.encodeSpec = encodeSpec;

OcspResponse.Ref = Ref;

module.exports = OcspResponse;

},{"../spec/rfc2560-ocsp":50,"../spec/rfc5126-cades.js":55,"./Certificate":37}],41:[function(require,module,exports){
(function (global){(function (){
/*jslint plusplus: true */
'use strict';

var jk = require('../curve.js'),
    bn = require('bn.js'),
    util = require('../util.js'),
    random = require('../rand.js'),
    pem = require('../util/pem'),
    b64_encode = require('../util/base64.js').b64_encode,
    dstszi2010 = require('../spec/dstszi2010.js'),
    pbes2 = require('../spec/pbes.js'),
    pfx = require('../spec/pfx.js'),
    keystore = require('../spec/keystore.js'),
    ks = require('../spec/keystore.js'),
    DstuPrivkey = ks.DstuPrivkey,
    Pub = require('./Pub.js'),
    Field = require('../field.js'),
    Buffer = require('buffer').Buffer;


var gost_salt = function (ukm) {
    return dstszi2010.SharedInfo.encode({
        "keyInfo": {
            "algorithm": "Gost28147-cfb-wrap",
            "parameters": null,
        },
        "entityInfo": ukm || undefined,
        "suppPubInfo": Buffer.from("\x00\x00\x01\x00", 'binary'),
    }, 'der');

};


var detect_format = function (inp) {
    if (util.is_hex(inp) === true) {
        return 'hex';
    }
    throw new Error("Unknown privkey format");
};

var attr_parse = function (attr) {
    var ahash = {}, i, aob, priv1_d, dstu, curve;
    for (i = 0; i < attr.length; i++) {
        aob = attr[i];
        if (aob.id !== undefined) {
            ahash[aob.id] = aob.value[0].value;
        }
    }
    if (!ahash.DSTU_4145_KEY_BITS) {
        return undefined;
    }

    if (ahash.DSTU_4145_CURVE === undefined) {
        return undefined;
    }

    priv1_d = ahash.DSTU_4145_KEY_BITS.data;
    dstu = ahash.DSTU_4145_CURVE;
    if(priv1_d === undefined || priv1_d.length === 0) {
        return undefined;
    }

    curve = jk.Curve.resolve(dstu.curve);

    return curve.pkey(util.BIG_INVERT(priv1_d), 'buf8');
};

function curve_params(p) {
    return new jk.Curve({
        m: p.p.param_m,
        ks: jk.Curve.ks_parse(p.p.ks),
        a: [p.param_a],
        b: util.BIG_LE(p.param_b),
        order: util.BIG_BE(p.order.toArray()),
        kofactor: [4 >> p.param_a],
        base: util.BIG_LE(p.bp),
    });
}

var from_asn1 = function (data, return_store) {
    var key0, key1, priv, curve;

    priv = DstuPrivkey.decode(data, 'der');
    var params = priv.priv0.p.p;
    curve = params.type === 'id'
        ? jk.std_curve(params.value)
        : curve_params(params.value);
    key0 = curve.pkey(util.BIG_LE(priv.param_d), 'buf32');
    key0.sbox = priv.priv0.p.sbox;
    if (return_store !== true) {
        return key0;
    }

    key1 = priv.attr && attr_parse(priv.attr);
    return {
        keys: key1 ? [key0, key1] : [key0],
        format: "privkeys",
    };
};

var short_sign = function (sign, raw) {
    var tmp_s, tmp_r, mlen, sbuf, idx, tmp;
    tmp_s = sign.s.truncate_buf8();
    tmp_r = sign.r.truncate_buf8();
    mlen = Math.max(tmp_s.length, tmp_r.length);
    sbuf = Buffer.alloc(2 + (mlen * 2));
    sbuf.writeUInt8(4, 0);
    sbuf.writeUInt8(mlen * 2, 1);

    for (idx = 0; idx < mlen; idx++) {
        tmp = tmp_r[mlen - idx - 1];
        sbuf.writeUInt8(tmp < 0 ? 256 + tmp : tmp, idx + 2);
    }

    for (idx = 0; idx < mlen; idx++) {
        tmp = tmp_s[mlen - idx - 1];
        sbuf.writeUInt8(tmp < 0 ? 256 + tmp : tmp, idx + 2 + mlen);
    }
    if(raw) {
        return sbuf.slice(2);
    }

    return sbuf;
};

var sign_serialise = function (data, fmt) {
    if(fmt === 'short' || fmt === 'le') {
        return short_sign(data, fmt === 'le');
    }

    throw new Error("Unkown signature format " + fmt);
};

var Priv = function (p_curve, param_d) {

    this.type = 'Priv';
    this.d = param_d._is_field ? param_d : new Field(param_d, 'bn', p_curve);
    this.curve = p_curve;
    this.algorithm = "Dstu4145le";
};

Priv.prototype.help_sign = function (hash_v, rand_e) {
    var eG, r, s, big_d, big_rand_e, big_order;

    eG = this.curve.base.mul(rand_e);
    if (eG.x.is_zero()) {
        return null;
    }
    r = hash_v.mod_mul(eG.x);

    r = this.curve.truncate(r);
    if (r.is_zero()) {
        return null;
    }

    r = new bn.BN(r.buf8(), 8);
    big_d = new bn.BN(this.d.buf8(), 8);
    big_rand_e = new bn.BN(rand_e.buf8(), 8);
    big_order = new bn.BN(this.curve.order.buf8(), 8);
    s = big_d.mul(r).mod(big_order);
    s = s.add(big_rand_e).mod(big_order);

    return {
        "s": new Field(s.toArray(), 'buf8', this.curve),
        "r": new Field(r.toArray(), 'buf8', this.curve),
    };
};

Priv.prototype.sign = function (hash_buf, fmt) {
    var rand_e, ret, hash_v;

    if (Buffer.isBuffer(hash_buf)) {
        hash_v = new Field(util.add_zero(hash_buf, true), 'buf8', this.curve);
    } else {
        throw new Error("not a buffer");
    }

    if (hash_v.is_zero()) {
        throw new Error("Pass non zero value");
    }

    while (true) {
        rand_e = this.curve.rand();

        ret = this.help_sign(hash_v, rand_e);
        if (ret !== null) {
            break;
        }
    }

    ret.hash = hash_v;
    if (fmt === undefined) {
        return ret;
    }
    return sign_serialise(ret, fmt);
};

Priv.prototype.decrypt = function(data, pubkey, param, algo) {
    if(pubkey.pubkey) {
        pubkey = pubkey.pubkey;
    }
    var kek = this.sharedKey(pubkey, param.ukm, algo.kdf);
    var cek = algo.keyunwrap(kek, param.wcek);
    return algo.decrypt(data, cek, param.iv);
};

Priv.prototype.encrypt = function(data, cert, algo) {
    var crypto = global.crypto;

    var cek = random(Buffer.alloc(32)),
        ukm = random(Buffer.alloc(64)),
        iv = random(Buffer.alloc(8));

    var kek = this.sharedKey(cert.pubkey, ukm, algo.kdf);
    var wcek = algo.keywrap(kek, cek, iv);
    var ctext = algo.encrypt(data, cek, iv);
    return {
        iv: iv,
        wcek: wcek,
        data: ctext,
        ukm: ukm,
    };

};

Priv.prototype.pub_match = function(pub_key) {
    var check_key = null;
    if(pub_key.type === 'Pub') {
        return pub_key.point.equals(this.pub().point);
    }
    if(pub_key._is_field) {
        check_key = pub_key;
    }
    if (Buffer.isBuffer(pub_key)) {
        check_key = new Field(pub_key, 'buf8', this.curve);
    }
    if(check_key === null) {
        throw new Error("Unknow pubkey format");
    }

    return check_key.equals(this.pub_compress());
};

Priv.prototype.pub_compress = function () {
    if(this._pub === undefined) {
        this._pub = this.pub();
    }

    if(this._pub_cmp === undefined) {
        this._pub_cmp = this._pub.point.compress();
    }

    return this._pub_cmp;
};

Priv.prototype.pub = function () {
    return new Pub(this.curve, this.curve.base.mul(this.d).negate());
};

/*
    Diffie-Hellman key exchange proto and DSTSZI key wrapping algo
    Implementation note:

        ephemeral keys are not supported, so curves SHOULD match.
*/
Priv.prototype.derive = function (pubkey) {
    var pointQ, pointZ, bufZZ, cut;
    if (pubkey.type === 'Pub') {
        pointQ = pubkey.point;
    } else {
        pointQ = this.curve.point(pubkey);
    }
    pointZ = pointQ.mul(this.d.mod_mul(this.curve.kofactor));
    bufZZ = Buffer.from(pointZ.x.buf8(), 'binary');
    cut = bufZZ.length - Math.ceil(this.curve.m/8);
    return bufZZ.slice(cut);
};


/*
    * Computes key for symmetric cypher for two given parties.
    * kdf function should be passed in arguments.
    *
    * pubkey can be either
    *  - {x, y} hash,
    *  - Pub model instance with point on same curve or
    *  - Bignum with compressed representation of key
    *
    * ukm (salt) should be either 32 bytes buffer or null.
    * */
Priv.prototype.sharedKey = function (pubkey, ukm, kdf) {
    var zz, counter, salt, kek_input;

    zz = this.derive(pubkey);
    if(zz[0] === 0) {
        zz = zz.slice(1);
    }
    counter = Buffer.from("\x00\x00\x00\x01", 'binary');
    salt = gost_salt(ukm);

    kek_input = Buffer.alloc(
        zz.length + counter.length + salt.length
    );
    zz.copy(kek_input);
    counter.copy(kek_input, zz.length);
    salt.copy(kek_input, zz.length + counter.length);

    return kdf(kek_input);
};

Priv.prototype.as_pem = function () {
    return (
        '-----BEGIN PRIVATE KEY-----\n' +
        b64_encode(this.as_asn1(), {line: 16, pad: true}) +
        '\n-----END PRIVATE KEY-----'
    );
};
Priv.prototype.to_pem = Priv.prototype.as_pem;

Priv.prototype.as_asn1 = function () {
    var key = this.as_struct();
    return DstuPrivkey.encode(key, 'der');
};
Priv.prototype.to_asn1 = Priv.prototype.as_asn1;

Priv.prototype.as_struct = function () {
    var key = {
        version: 0,
        priv0: {
            id: "DSTU_4145_LE",
            p: {
                p: {
                    type: 'params',
                    value: this.curve.as_struct(),
                },
                sbox: dstszi2010.DEFAULT_SBOX_COMPRESSED,
            },
        },
        param_d: Array.prototype.slice.call(this.d.buf8()).reverse(),
        attr: []
    };
    return key;
};

Priv.prototype.to_pbes2 = function to_pbes2(password, algo) {
  var iv = random(Buffer.alloc(8));
  var salt = random(Buffer.alloc(32));
  return pbes2.enc_serialize(
    algo.storesave(Buffer.from(this.to_asn1()), "PBES2", password, iv, salt)
  );
}

var from_pem = function (data, return_store) {
    return from_asn1(pem.maybe_pem(data), return_store);
};

function merge_stores(list) {
    const ret = { certs: [], keys: [], format: 'privkeys' };
    for (let store of list) {
        if (store.format === 'privkeys') {
          ret.keys = ret.keys.concat(store.keys);
        }
        if (store.format === 'certbags') {
          ret.certs = ret.certs.concat(store.certs);
        }
    }
    return ret;

}

function guessStore(data) {
  try {
    return Priv.from_asn1(data, true);
  } catch(e) {
  }

  return { format: 'certbags', certs: pfx.certbags_from_asn1(data) };
}

var from_protected = function (data, password, algo) {
    var stores;
    if (password && (!algo || !algo.storeload)) {
        throw new Error("Cant decode protected file without algo");
    }

    data = pem.maybe_pem(data);
    if (password) {
        try {
            stores = pbes2.pbes2_parse(data);
        } catch (ignore) {
        }
        try {
            stores = pfx.pfx_parse(data);
        } catch (ignore) {
        }
        try {
            stores = [keystore.enc_parse(data)];
        } catch (ignore) {
        }

        if (!stores) {
            throw new Error("Cant parse store with either PBES2 or proprietaty format");
        }

        data = stores.map(part=> algo.storeload(part, password));
    } else {
	data = [data];
    }
    return merge_stores(data.map(guessStore));
};


module.exports = Priv;
module.exports.detect_format = detect_format;
module.exports.from_asn1 = from_asn1;
module.exports.from_pem = from_pem;
module.exports.from_protected = from_protected;
module.exports.sign_serialise = sign_serialise;

}).call(this)}).call(this,typeof global !== "undefined" ? global : typeof self !== "undefined" ? self : typeof window !== "undefined" ? window : {})
},{"../curve.js":34,"../field.js":35,"../rand.js":45,"../spec/dstszi2010.js":46,"../spec/keystore.js":47,"../spec/pbes.js":48,"../spec/pfx.js":49,"../util.js":57,"../util/base64.js":58,"../util/pem":61,"./Pub.js":42,"bn.js":18,"buffer":20}],42:[function(require,module,exports){
"use strict";

var util = require("../util.js"),
  Field = require("../field.js"),
  Buffer = require("buffer").Buffer;

var detect_format = function(inp) {
  if (util.is_hex(inp) === true) {
    return "hex";
  }
  if (inp.buffer !== undefined) {
    return "raw";
  }

  throw new Error("Unknown pubkey format");
};

var detect_sign_format = function(sign) {
  if (
    sign.hasOwnProperty &&
    sign.hasOwnProperty("s") &&
    sign.hasOwnProperty("r")
  ) {
    return "split";
  }
  if (typeof sign === "string" || Buffer.isBuffer(sign)) {
    return "short";
  }
};

var parse_sign = function(sign, fmt, curve) {
  if (fmt === "short") {
    if (!Buffer.isBuffer(sign)) {
      sign = Buffer(sign);
    }

    if (sign[0] !== 4 || sign[1] !== sign.length - 2) {
      throw Error("Broken short sign");
    }
    sign = sign.slice(2);
    fmt = "le";
  }

  if (fmt === "le") {
    var len = sign.length;
    var r = sign.slice(0, Math.ceil(len / 2)),
      s = sign.slice(r.length);

    sign = {
      s: util.add_zero(s, true),
      r: util.add_zero(r, true)
    };
    fmt = "split";
  }

  if (fmt === "split") {
    if (typeof sign.s === "string") {
      sign.s = Buffer(sign.s);
    }
    if (typeof sign.r === "string") {
      sign.r = Buffer(sign.r);
    }

    return {
      s: new Field(sign.s, "buf8", curve),
      r: new Field(sign.r, "buf8", curve)
    };
  }
};

var Pub = function(p_curve, point_q, compressed) {
  this.x = point_q.x;
  this.y = point_q.y;
  this.point = point_q;
  this.curve = p_curve;
  this._cmp = compressed && new Field(compressed, "buf32", this.curve);
  this.type = "Pub";
};

Pub.prototype.compress = function() {
  if (!this._cmp) {
    this._cmp = this.point.compress();
  }
  return this._cmp.buf8();
};

Pub.prototype.verify = function(hash_val, sign, fmt) {
  if (fmt === undefined) {
    fmt = detect_sign_format(sign);
  }
  if (Buffer.isBuffer(hash_val)) {
    hash_val = new Field(util.add_zero(hash_val, true), "buf8", this.curve);
  }

  sign = parse_sign(sign, fmt, this.curve);
  return this.help_verify(hash_val, sign.s, sign.r);
};

Pub.prototype.help_verify = function(hash_val, s, r) {
  if (s.is_zero()) {
    throw new Error("Invalid sig component S");
  }
  if (r.is_zero()) {
    throw new Error("Invalid sig component R");
  }

  if (this.curve.order.less(s)) {
    throw new Error("Invalid sig component S");
  }
  if (this.curve.order.less(r) < 0) {
    throw new Error("Invalid sig component R");
  }

  var mulQ, mulS, pointR, r1;
  hash_val = hash_val._is_field
    ? hash_val
    : new Field(hash_val, "bn", this.curve);

  mulQ = this.point.mul(r);
  mulS = this.curve.base.mul(s);

  pointR = mulS.add(mulQ);
  if (pointR.is_zero()) {
    throw new Error("Invalid sig R point at infinity");
  }

  r1 = pointR.x.mod_mul(hash_val);
  r1 = this.curve.truncate(r1);

  return r.equals(r1);
};

Pub.prototype.validate = function() {
  var pub_q = this.point,
    pt;

  if (pub_q.is_zero()) {
    return false;
  }

  if (this.curve.contains(pub_q) === false) {
    return false;
  }

  pt = pub_q.mul(this.curve.order);
  if (!pt.is_zero()) {
    return false;
  }

  return true;
};

Pub.prototype.serialize = function() {
  var buf = this.compress();
  var cut = buf.length - Math.ceil(this.curve.m / 8);
  var inverse = Buffer.alloc(buf.length + 2 - cut);
  var i;
  for (i = 2; i < inverse.length; i++) {
    inverse[i] = buf[buf.length + 1 - i];
  }
  inverse[0] = 0x04;
  inverse[1] = buf.length - cut;
  return inverse;
};

Pub.prototype.keyid = function(algos) {
  return algos.hash(this.serialize());
};

module.exports = Pub;
module.exports.detect_format = detect_format;
module.exports.parse_sign = parse_sign;

},{"../field.js":35,"../util.js":57,"buffer":20}],43:[function(require,module,exports){
module.exports.Certificate = require('./Certificate.js');
module.exports.Message = require('./Message');
module.exports.Pub = require('./Pub.js');
module.exports.Priv = require('./Priv.js');

},{"./Certificate.js":37,"./Message":39,"./Priv.js":41,"./Pub.js":42}],44:[function(require,module,exports){
/* eslint-disable camelcase,no-underscore-dangle */
const Field = require("./field.js");
const wnaf = require("./wnaf/index.js");

class Point {
  constructor(curve, input_x, input_y) {
    let p_x; let p_y;
    if (input_y === undefined) {
      const coords = curve.expand(input_x);
      p_x = coords.x;
      p_y = coords.y;
    } else {
      p_x = input_x;
      p_y = input_y;
    }

    this.curve = curve;
    this.x = p_x._is_field ? p_x : new Field(p_x, "buf32", this.curve);
    this.y = p_y._is_field ? p_y : new Field(p_y, "buf32", this.curve);
    this._precomp = { pos: [this], neg: [] };
  }

  add(point_1) {
    const a = this.curve.param_a;
    const point_2 = new Point(this.curve, this.curve.zero, this.curve.zero);

    const x0 = this.x;
    const y0 = this.y;
    const x1 = point_1.x;
    const y1 = point_1.y;

    if (this.is_zero()) {
      return point_1;
    }

    if (point_1.is_zero()) {
      return this;
    }

    let x2;
    let lbd;
    if (x0.equals(x1) === false) {
      const tmp = y0.add(y1);
      const tmp2 = x0.add(x1);
      lbd = tmp.mod_mul(tmp2.invert());
      x2 = a.add(lbd.mod_mul(lbd));
      x2.addM(lbd);
      x2.addM(x0);
      x2.addM(x1);
    } else {
      if (y1.equals(y0) === false) {
        return point_2;
      }
      if (x1.is_zero()) {
        return point_2;
      }

      lbd = x1.add(point_1.y.mod_mul(point_1.x.invert()));
      x2 = lbd.mod_mul(lbd).add(a);
      x2.addM(lbd);
    }

    const y2 = lbd.mod_mul(x1.add(x2));
    y2.addM(x2);
    y2.addM(y1);

    point_2.x = x2;
    point_2.y = y2;

    return point_2;
  }

  twice() {
    return this.add(this);
  }

  timesPow2(n) {
    let ret = this;
    let left = n;
    while (left) {
      ret = ret.twice();
      left -= 1;
    }

    return ret;
  }

  twicePlus(other) {
    return this.twice().add(other);
  }

  mul(param_n) {
    const point_s = new Point(this.curve, this.curve.zero, this.curve.zero);

    let point = this;
    let value_n = param_n;

    if (param_n.is_zero()) {
      return point_s;
    }

    if (value_n.is_negative()) {
      value_n = param_n.negate();
      point = this.negate();
    }

    return wnaf.mulPos(point, param_n);
  }

  negate() {
    return new Point(this.curve, this.x, this.x.add(this.y));
  }

  is_zero() {
    return this.x.is_zero() && this.y.is_zero();
  }

  compress() {
    const x_inv = this.x.invert();
    const tmp = x_inv.mod_mul(this.y);
    const trace = tmp.trace();
    if (trace === 1) {
      return this.x.setBit(0);
    }
    return this.x.clearBit(0);
  }

  equals(other) {
    return other.x.equals(this.x) && other.y.equals(this.y);
  }

  toString() {
    return `<Point x:${this.x.toString(16)}, y:${this.y.toString(16)} >`;
  }
}

module.exports = Point;

},{"./field.js":35,"./wnaf/index.js":65}],45:[function(require,module,exports){
(function (global){(function (){
module.exports = function (fill) {
    return (global.crypto || global.msCrypto).getRandomValues(fill);
}

}).call(this)}).call(this,typeof global !== "undefined" ? global : typeof self !== "undefined" ? self : typeof window !== "undefined" ? window : {})
},{}],46:[function(require,module,exports){
var asn1 = require("asn1.js"),
  rfc3280 = require("./rfc3280"),
  Buffer = require("buffer").Buffer;

/**
  http://tools.ietf.org/html/rfc2315#section-14

  pkcs-7 OBJECT IDENTIFIER ::=
     { iso(1) member-body(2) US(840) rsadsi(113549)
         pkcs(1) 7 }

  data OBJECT IDENTIFIER ::= { pkcs-7 1 }
  signedData OBJECT IDENTIFIER ::= { pkcs-7 2 }
  envelopedData OBJECT IDENTIFIER ::= { pkcs-7 3 }
  signedAndEnvelopedData OBJECT IDENTIFIER ::=
     { pkcs-7 4 }
  digestedData OBJECT IDENTIFIER ::= { pkcs-7 5 }
  encryptedData OBJECT IDENTIFIER ::= { pkcs-7 6 }
*/
var PKCS7_CONTENT_TYPES = {
  "1 2 840 113549 1 7 1": "data",
  "1 2 840 113549 1 7 2": "signedData",
  "1 2 840 113549 1 7 3": "envelopedData",
  "1 2 840 113549 1 7 4": "signedAndEnvelopedData",
  "1 2 840 113549 1 7 5": "digestData",
  "1 2 840 113549 1 7 6": "encryptedData",
  "1 2 840 113549 1 9 16 1 4": "tstInfo"
};

var ContentType = asn1.define("ContentType", function() {
  this.objid(PKCS7_CONTENT_TYPES);
});
module.exports.ContentType = ContentType;

/**
  http://tools.ietf.org/html/rfc2315#section-7

  ContentInfo ::= SEQUENCE {
     contentType ContentType,
     content
       [0] EXPLICIT ANY DEFINED BY contentType OPTIONAL }
*/
var ContentInfo = asn1.define("ContentInfo", function() {
  this.seq().obj(
    this.key("contentType").use(ContentType),
    this.key("content")
      .optional()
      .explicit(0)
      .use(function(obj) {
        var model = ContentInfo.contentModel[obj.contentType];
        if (model === undefined) {
          throw new Error("Can't parse " + obj.contentType + " in PKCS#7");
        }
        return model;
      })
  );
});

/**
  DSTU GOST 28147:2009

  TODO missing
*/
var GOST28147Parameters = asn1.define("GOST28147Parameters", function() {
  this.seq().obj(
    this.key("iv").octstr(),
    this.key("dke").optional().octstr()
  );
});


/**
  http://tools.ietf.org/html/rfc2315#section-6.2

  ContentEncryptionAlgorithmIdentifier ::=
    AlgorithmIdentifier

  http://tools.ietf.org/html/rfc3280#section-4.1.1.2

  AlgorithmIdentifier  ::=  SEQUENCE  {
    algorithm               OBJECT IDENTIFIER,
    parameters              ANY DEFINED BY algorithm OPTIONAL  }


  DSTU GOST 28147:2009
  TODO missing

*/

var ContentEncryptionAlgorithmIdentifier = asn1.define(
  "ContentEncryptionAlgorithmIdentifier",
  function() {
    this.seq().obj(
      this.key("algorithm").objid(ContentInfo.algoModel.IDS),
      this.key("parameters").choice({
        null_: this.null_(),
        params: this.use(function (obj) {
          const ret = ContentInfo.algoModel[obj.algorithm];
          if (!ret) {
            throw new Error('No spec for', obj.algorithm);
          }
          return ret;
        }),
      })
    );
  }
);

module.exports.ContentEncryptionAlgorithmIdentifier = ContentEncryptionAlgorithmIdentifier;

var DigestAlgorithmIdentifier = asn1.define(
  "DigestAlgorithmIdentifier",
  function() {
    this.use(rfc3280.AlgorithmIdentifier);
  }
);

var DigestAlgorithmIdentifiers = asn1.define(
  "DigestAlgorithmIdentifiers",
  function() {
    this.setof(DigestAlgorithmIdentifier);
  }
);

var KeyEncryptionAlgorithmIdentifier = asn1.define(
  "KeyEncryptionAlgorithmIdentifier",
  function() {
    this.seq().obj(
      this.key("algorithm").objid(rfc3280.ALGORITHMS_IDS),
      this.key("parameters").use(WrapAlgo)
    );
  }
);

/**
  http://tools.ietf.org/html/rfc2315#section-6.7

  IssuerAndSerialNumber ::= SEQUENCE {
    issuer Name,
    serialNumber CertificateSerialNumber }

*/
var IssuerAndSerialNumber = asn1.define("IssuerAndSerialNumber", function() {
  this.seq().obj(
    this.key("issuer").use(rfc3280.Name),
    this.key("serialNumber").use(rfc3280.CertificateSerialNumber)
  );
});

module.exports.IssuerAndSerialNumber = IssuerAndSerialNumber;

/**
  Attribute: A type that contains an attribute type (specified by
  object identifier) and one or more attribute values. This type is
  defined in X.501.

  Attribute ::= SEQUENCE {
  type AttributeType ( { SupportedAttributes } ),
  values SET SIZE (1 .. MAX) OF AttributeValue ( { SupportedAttributes}{@type})}

*/
var Attribute = asn1.define("Attribute", function() {
  this.seq().obj(
    this.key("type").use(rfc3280.AttributeType),
    this.key("values").setof(rfc3280.AttributeValue)
  );
});

var Attributes = asn1.define("Attributes", function() {
  this.setof(Attribute);
});
module.exports.Attributes = Attributes;

var DigestEncryptionAlgorithmIdentifier = asn1.define(
  "DigestEncryptionAlgorithmIdentifier",
  function() {
    this.use(rfc3280.AlgorithmIdentifier);
  }
);

var SubjectKeyIdentifier = asn1.define("SubjectKeyIdentifier", function() {
  this.octstr();
});

var SignerIdentifier = asn1.define("SignerIdentifier", function() {
  this.choice({
    issuerAndSerialNumber: this.use(IssuerAndSerialNumber),
    subjectKeyIdentifier: this.explicit(0).use(SubjectKeyIdentifier)
  });
});

/**

  http://www.ietf.org/rfc/rfc3852.txt

  SignerInfo ::= SEQUENCE {
    version Version,
    sid SignerIdentifier,
    digestAlgorithm DigestAlgorithmIdentifier,
    authenticatedAttributes
      [0] IMPLICIT Attributes OPTIONAL,
    digestEncryptionAlgorithm
      DigestEncryptionAlgorithmIdentifier,
    encryptedDigest EncryptedDigest,
    unauthenticatedAttributes
      [1] IMPLICIT Attributes OPTIONAL }

*/
var SignerInfo = asn1.define("SignerInfo", function() {
  this.seq().obj(
    this.key("version").int(),
    this.key("sid").use(SignerIdentifier),
    this.key("digestAlgorithm").use(DigestAlgorithmIdentifier),
    this.key("authenticatedAttributes")
      .optional()
      .implicit(0)
      .use(Attributes),
    this.key("digestEncryptionAlgorithm").use(
      DigestEncryptionAlgorithmIdentifier
    ),
    this.key("encryptedDigest").octstr(),
    this.key("unauthenticatedAttributes")
      .optional()
      .implicit(1)
      .use(Attributes)
  );
});

var SignerInfos = asn1.define("SignerInfos", function() {
  this.setof(SignerInfo);
});

var Certificates = asn1.define("Certificates", function() {
  this.seqof(rfc3280.Certificate);
});

/**
  http://tools.ietf.org/html/rfc2315#section-9.1

  SignedData ::= SEQUENCE {
    version Version,
    digestAlgorithms DigestAlgorithmIdentifiers,
    contentInfo ContentInfo,
    certificates
       [0] IMPLICIT ExtendedCertificatesAndCertificates
         OPTIONAL,
    crls
      [1] IMPLICIT CertificateRevocationLists OPTIONAL,
    signerInfos SignerInfos }
*/
var SignedData = asn1.define("SignedData", function() {
  this.seq().obj(
    this.key("version").int(),
    this.key("digestAlgorithms").use(DigestAlgorithmIdentifiers),
    this.key("contentInfo").use(ContentInfo),
    this.key("certificate")
      .optional()
      .implicit(0)
      .use(Certificates),
    this.key("crls")
      .optional()
      .implicit(1)
      .set(), // NOT PARSED
    this.key("signerInfos").use(SignerInfos)
  );
});

var RecipientKeyIdentifier = asn1.define("RecipientKeyIdentifier", function() {
  this.seq().obj(
    this.key("subjectKeyIdentifier").octstr(),
    this.key("date")
      .use(rfc3280.Time)
      .optional(),
    this.key("other")
      .optional()
      .any()
  );
});

var KeyAgreeRecipientIdentifier = asn1.define(
  "KeyAgreeRecipientIdentifier",
  function() {
    this.choice({
      issuerAndSerialNumber: this.use(IssuerAndSerialNumber),
      rKeyId: this.implicit(0).use(RecipientKeyIdentifier)
    });
  }
);

var RecipientEncryptedKey = asn1.define("RecipientEncryptedKey", function() {
  this.seq().obj(
    this.key("rid").use(KeyAgreeRecipientIdentifier),
    this.key("encryptedKey").octstr()
  );
});

/**
  http://tools.ietf.org/html/rfc2315#section-6.7

  IssuerAndSerialNumber ::= SEQUENCE {
    issuer Name,
    serialNumber CertificateSerialNumber }
*/
var OriginatorInfo = asn1.define("OriginatorInfo", function() {
  this.seq().obj(this.key("certificates").use(IssuerAndSerialNumber));
});

var OriginatorPublicKey = asn1.define("OriginatorPublicKey", function() {
  this.seq().obj(
    this.key("algorithm").use(rfc3280.AlgorithmIdentifier),
    this.key("publicKey").bitstr()
  );
});

var OriginatorIdentifierOrKey = asn1.define(
  "OriginatorIdentifierOrKey",
  function() {
    this.seq().choice({
      issuerAndSerialNumber: this.use(IssuerAndSerialNumber),
      subjectKeyIdentifier: this.implicit(0).use(SubjectKeyIdentifier),
      originatorKey: this.implicit(1).use(OriginatorPublicKey)
    });
  }
);

/**
  https://tools.ietf.org/html/rfc5652#section-6.2

  RecipientInfo ::= SEQUENCE {
    version Version,
    issuerAndSerialNumber IssuerAndSerialNumber,
    keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,
    encryptedKey EncryptedKey }

  EncryptedKey ::= OCTET STRING

*/
var KeyAgreeRecipientInfo = asn1.define("KeyAgreeRecipientInfo", function() {
  this.seq().obj(
    this.key("version").int(),
    this.key("originator")
      .explicit(0)
      .use(OriginatorIdentifierOrKey),
    this.key("ukm")
      .explicit(1)
      .octstr(),
    this.key("keyEncryptionAlgorithm").use(KeyEncryptionAlgorithmIdentifier),
    this.key("recipientEncryptedKeys").seqof(RecipientEncryptedKey)
  );
});

var RecipientInfo = asn1.define("RecipientInfo", function() {
  this.choice({
    kari: this.implicit(1).use(KeyAgreeRecipientInfo)
  });
});

/**
  http://tools.ietf.org/html/rfc2315#section-10.1

  EncryptedContentInfo ::= SEQUENCE {
    contentType ContentType,
    contentEncryptionAlgorithm
      ContentEncryptionAlgorithmIdentifier,
    encryptedContent
      [0] IMPLICIT EncryptedContent OPTIONAL }

  EncryptedContent ::= OCTET STRING

*/
var EncryptedContentInfo = asn1.define("EncryptedContentInfo", function() {
  this.seq().obj(
    this.key("contentType").objid(PKCS7_CONTENT_TYPES),
    this.key("contentEncryptionAlgorithm").use(
      ContentEncryptionAlgorithmIdentifier
    ),
    this.key("encryptedContent")
      .optional()
      .implicit(0)
      .octstr()
  );
});

/**
  http://tools.ietf.org/html/rfc2315#section-10.1

  EnvelopedData ::= SEQUENCE {
    version Version,
    recipientInfos RecipientInfos,
    encryptedContentInfo EncryptedContentInfo }
*/
var EnvelopedData = asn1.define("EnvelopedData", function() {
  this.seq().obj(
    this.key("version").int(),
    this.key("recipientInfos").setof(RecipientInfo),
    this.key("encryptedContentInfo").use(EncryptedContentInfo)
  );
});

/**
  https://www.rfc-editor.org/rfc/rfc2315#section-13

  EncryptedData ::= SEQUENCE {
     version Version,
     encryptedContentInfo EncryptedContentInfo }
*/

var EncryptedData = asn1.define("EncryptedData", function () {
  this.seq().obj(
    this.key("version").int(),
    this.key("encryptedContentInfo").use(EncryptedContentInfo)
  );
});

var Data = asn1.define("Data", function() {
  this.octstr();
});
module.exports.Data = Data;

ContentInfo.contentModel = {
  signedData: SignedData,
  envelopedData: EnvelopedData,
  encryptedData: EncryptedData,
  data: Data
};
ContentInfo.algoModel = {
  'Gost28147-cfb': GOST28147Parameters,
};
ContentInfo.algoModel.IDS = Object.assign(
  {},
  rfc3280.ALGORITHMS_IDS,
);

module.exports.ContentInfo = ContentInfo;

var WrapAlgo = asn1.define("WrapAlgo", function() {
  this.seq().obj(
    this.key("algorithm").objid(rfc3280.ALGORITHMS_IDS),
    this.key("parameters").null_()
  );
});

var SharedInfo = asn1.define("SharedInfo", function() {
  this.seq().obj(
    this.key("keyInfo").use(WrapAlgo),
    this.key("entityInfo")
      .optional()
      .explicit(0)
      .octstr(),
    this.key("suppPubInfo")
      .explicit(2)
      .octstr()
  );
});

module.exports.SharedInfo = SharedInfo;

function packSbox(input) {
  const ret = Buffer.alloc(input.length / 2);
  const rows = input.length & 0xf0;
  for (let idx = 0; idx < input.length; idx += 2) {
    let retIdx = (rows - 0x10 - (idx & 0xf0)) | (idx & 0x0f);
    ret[retIdx >> 1] = (input[idx] << 4) | input[idx + 1];
  }
  return ret;
}

var defaultSbox = Buffer.from(
  "0102030E060D0B080F0A0C050709000403080B0506040E0A020C0107090F0D0002080907050F000B0C010D0E0A0306040F080E090702000D0C0601050B04030A03080D09060B0F0002050C0A040E01070F0605080E0B0A040C0003070209010D08000C040906070B0203010F050E0A0D0A090D060E0B04050F01030C07000802",
  "hex"
);

module.exports.DEFAULT_SBOX_COMPRESSED = packSbox(defaultSbox);

},{"./rfc3280":52,"asn1.js":2,"buffer":20}],47:[function(require,module,exports){
var asn1 = require('asn1.js'),
    rfc3280 = require('./rfc3280');

var OID = {
    '1 2 804 2 1 1 1 1 3 1 1': "DSTU_4145_LE",
    '1 3 6 1 4 1 19398 1 1 2 3': 'DSTU_4145_KEY_BITS',
    "1 3 6 1 4 1 19398 1 1 2 2": "DSTU_4145_CURVE",
};

var KeyAttrValue = asn1.define('KeyAttrValue', function () {
    this.choice({
        param_d: this.bitstr(),
        dstu4145: this.use(DstuParams),
        unknown: this.any()
    })
});

var KeyAttrValues = asn1.define('KeyAttrValues', function () {
    this.setof(KeyAttrValue);
});

var KeyAttr = asn1.define('Attr', function () {
    this.seq().obj(
        this.key('id').objid(OID),
        this.key('value').use(KeyAttrValues)
    );
});

var Pentanominal = asn1.define('Pentanominal', function () {
    this.seq().obj(
        this.key('k1').int(),
        this.key('k2').int(),
        this.key('k3').int()
    );
});

var Polynomial = asn1.define('Polynomial', function () {
    this.choice({
        trinominal: this.int(),
        pentanominal: this.use(Pentanominal)
    });
});

var CurveParams = asn1.define('CurveParams', function () {
    this.seq().obj(
        this.key('p').seq().obj(
            this.key('param_m').int(),
            this.key('ks').use(Polynomial)
        ),
        this.key('param_a').int(),
        this.key('param_b').octstr(), // inverted
        this.key('order').int(),
        this.key('bp').octstr()
    );
});

var CURVES = {
    '1 2 804 2 1 1 1 1 3 1 1 2 0': 'DSTU_PB_163',
    '1 2 804 2 1 1 1 1 3 1 1 2 1': 'DSTU_PB_167',
    '1 2 804 2 1 1 1 1 3 1 1 2 2': 'DSTU_PB_173',
    '1 2 804 2 1 1 1 1 3 1 1 2 3': 'DSTU_PB_179',
    '1 2 804 2 1 1 1 1 3 1 1 2 4': 'DSTU_PB_191',
    '1 2 804 2 1 1 1 1 3 1 1 2 5': 'DSTU_PB_233',
    '1 2 804 2 1 1 1 1 3 1 1 2 6': 'DSTU_PB_257',
    '1 2 804 2 1 1 1 1 3 1 1 2 7': 'DSTU_PB_307',
    '1 2 804 2 1 1 1 1 3 1 1 2 8': 'DSTU_PB_367',
    '1 2 804 2 1 1 1 1 3 1 1 2 9': 'DSTU_PB_431',
    '1 2 840 10045 3 1 7': 'secp256r1',
};

var Curve = asn1.define('Curve', function () {
    this.choice({
        id: this.objid(CURVES),
        params: this.use(CurveParams),
    });
});

var DstuParams = asn1.define('CurveParams', function () {
    this.seq().obj(
        this.key('curve').use(Curve),
        this.key('dke').optional().octstr(),
        this.key('dke2').optional().octstr()
    );
});
module.exports.DstuParams = DstuParams;
rfc3280.injectPubAlgo('Dstu4145le', DstuParams);
rfc3280.injectPubAlgo('ECDSA', Curve);

var DstuPrivkey = asn1.define('DstuPrivkey', function () {
    this.seq().obj(
        this.key('version').int(),
        this.key('priv0').seq().obj(
            this.key('id').objid(OID),
            this.key('p').seq().obj(
                this.key('p').use(Curve),
                this.key('sbox').optional().octstr()
            )
        ),
        this.key('param_d').octstr(),
        this.key('attr').optional().implicit(0).seqof(KeyAttr)
    );
});

module.exports.DstuPrivkey = DstuPrivkey;


var StoreIIT = asn1.define('StoreIIT', function () {
    this.seq().obj(
        this.key('cryptParam').seq().obj(
            this.key('cryptType').objid({
                "1 3 6 1 4 1 19398 1 1 1 2": "IIT Store",
                '1 2 840 113549 1 5 13': "PBES2",
                "1 2 840 113549 1 5 12": "PBKDF2",
                '1 2 804 2 1 1 1 1 1 2': "GOST_34311_HMAC",
                '1 2 804 2 1 1 1 1 1 1 3': "GOST_28147_CFB",
                '1 2 804 2 1 1 1 1 3 1 1': "DSTU_4145_LE",
            }),
            this.key('cryptParam').seq().obj(
                this.key('mac').octstr(),
                this.key('pad').octstr().optional()
            )
        ),
        this.key('cryptData').octstr()
    );
});

var enc_parse = function (data) {

    var asn1 = StoreIIT.decode(data, 'der'), mac, pad;
    mac = asn1.cryptParam.cryptParam.mac;
    pad = asn1.cryptParam.cryptParam.pad;

    if (mac.length !== 4) {
        throw new Error("Invalid mac len " + mac.length);
    }
    if (pad.length >= 8) {
        throw new Error("Invalid pad len " + pad.length);
    }
    if (asn1.cryptParam.cryptType !== 'IIT Store') {
        throw new Error("Invalid storage type");
    }

    return {
        "format": "IIT",
        "mac": mac,
        "pad": pad,
        "body": asn1.cryptData,
    };
};

module.exports.StoreIIT = StoreIIT;
module.exports.enc_parse = enc_parse;

},{"./rfc3280":52,"asn1.js":2}],48:[function(require,module,exports){
'use strict';

// https://www.rfc-editor.org/rfc/rfc2898

var asn1 = require('asn1.js'),
    dstszi2010 = require('./dstszi2010.js'),
    rfc3280 = require('./rfc3280'),
    CipherParams = dstszi2010.ContentEncryptionAlgorithmIdentifier,
    ContentInfo = dstszi2010.ContentInfo;


var OID = {
    '1 2 840 113549 1 5 13': "PBES2",
    "1 2 840 113549 1 5 12": "PBKDF2",
};

var PBKDF2_params = asn1.define('PBKDF2-params', function () {
  this.seq().obj(
      this.key("salt").octstr(),
      this.key("cycles").int(),
      this.key("keyLength").optional().int(),
      this.key("hash").use(CipherParams)
  );
});

var PBES2_params = asn1.define('PBES2-params', function () {
  this.seq().obj(
    this.key("keyDerivationFunc").seq().obj(
      this.key("id").objid(OID),
      this.key('params').use(PBKDF2_params),
      ),
    this.key("encryptionScheme").use(CipherParams)
  );
});

var PBES2Algorithms = asn1.define('PBES2Algorithms', function () {
  this.seq().obj(
    this.key("algorithm").objid(OID),
    this.key("parameters").choice({
        null_: this.null_(),
        params: this.use(PBES2_params)
    })
  );
});

var PBES2 = asn1.define("StorePBES2", function () {
    this.seq().obj(
        this.key("contentEncryptionAlgorithm").use(PBES2Algorithms),
        this.key("encryptedContent").octstr()
    );
});


Object.assign(ContentInfo.algoModel.IDS, OID);
Object.assign(ContentInfo.algoModel, { 'PBES2' : PBES2_params });


var pbes2_parse = function (data) {
    const obj = PBES2.decode(data, 'der');
    return [pbes2_parse_asn1(obj)];
}

var pbes2_parse_asn1 = function (asn1) {
    var kdf, enc, params, iv, sbox, salt, iter;

    if (asn1.contentEncryptionAlgorithm.algorithm !== 'PBES2') {
        throw new Error(asn1.contentEncryptionAlgorithm.algorithm);
    }
    if (asn1.contentEncryptionAlgorithm.parameters.type !== 'params') {
      throw new Error(asn1.contentEncryptionAlgorithm.parameters.type);
    }
    kdf = asn1.contentEncryptionAlgorithm.parameters.value.keyDerivationFunc;
    if (kdf.id !== 'PBKDF2') {
        throw new Error(kdf.id);
    }
    if (kdf.params.hash.algorithm !== 'Gost34311-hmac') {
        throw new Error("Unknown cipher " + kdf.params.hash.algorithm);
    }
    enc = asn1.contentEncryptionAlgorithm.parameters.value.encryptionScheme;
    if (enc.algorithm !== 'Gost28147-cfb') {
        throw new Error(enc.algorithm);
    }
    params = enc.parameters.value;
    if (params === null) {
        throw new Error("Encryption params not passed");
    }
    iv = params.iv;
    sbox = params.dke;
    salt = kdf.params.salt;
    iter = kdf.params.cycles;

    if ((iv.length !== 8) || (sbox.length !== 64) || (salt.length !== 32)) {
        throw new Error("IV len: " + iv.length + ", S-BOX len: " + sbox.length + ", SALT len: " + salt.length);
    }
    return {
        "format": "PBES2",
        "iv": iv,
        "sbox": sbox,
        "salt": salt,
        "iters": iter.toNumber(),
        "body": asn1.encryptedContent,
    };
};


var pbes2_serialize = function(store) {
    return PBES2.encode({
      contentEncryptionAlgorithm: {
        algorithm: 'PBES2',
        parameters: {
          type: 'params',
          value: {
            keyDerivationFunc: {
              id: "PBKDF2",
              params: {
                salt: store.salt,
                cycles: 10000,
                hash: {
                  algorithm: 'Gost34311-hmac',
                  parameters: {
                    type: 'null_',
                    value: null,
                  },
                },
              },
            },
            encryptionScheme: {
              algorithm: 'Gost28147-cfb',
              parameters: {
                type: 'params',
                value: {
                  iv: store.iv,
                  dke: store.sbox,
                }
              }
            },
          }
        },
      },
      encryptedContent: store.body,
    }, 'der');
}

module.exports = PBES2;
module.exports.OID = OID;
module.exports.pbes2_parse = pbes2_parse;
module.exports.enc_serialize = pbes2_serialize;
module.exports.obj_parse = pbes2_parse_asn1;

},{"./dstszi2010.js":46,"./rfc3280":52,"asn1.js":2}],49:[function(require,module,exports){
const asn1 = require('asn1.js');
const pbes2 = require('./pbes');
const dstszi2010 = require('./dstszi2010');
const rfc3280 = require("./rfc3280");

const OID = {
  '1 2 840 113549 1 12 10 1 2': 'pkcs-12-pkcs-8ShroudedKeyBag',
  '1 2 840 113549 1 12 10 1 3': 'pkcs-12-certBag',
};

const CertBag = asn1.define('CertBag', function () {
  this.seq().obj(
    this.key('id').objid({
      '1 2 840 113549 1 9 22 1': 'x509Certificate',
    }),
    this.key("certValue").explicit(0).octstr(),
  );
});
const BagModels = {
  'pkcs-12-pkcs-8ShroudedKeyBag': pbes2,
  'pkcs-12-certBag': CertBag,
};

const SafeBag = asn1.define('SafeContents', function () {
  this.seq().obj(
    this.key("bagId").objid(OID),
    this.key("bagValue").explicit(0).use(function (ob) {
      if (!BagModels[ob.bagId]) {
        throw new Error("Unknown bag id", ob.bagId);
      }
      return BagModels[ob.bagId];
    }),
    this.key("bagAttributes").set().optional()
  );
});

const SafeContents = asn1.define('SafeContents', function () {
   return this.seqof(SafeBag);
});

const Bags = asn1.define('ContentInfo', function () {
  this.seqof(dstszi2010.ContentInfo);
});

function pfx_parse (data) {
  const messages = Bags.decode(data.slice(30), 'der');
  return messages
    .filter(msg => msg.contentType ==='data' || msg.contentType === 'encryptedData')
    .map(msg => {
      if (msg.contentType === 'encryptedData') {
        return pbes2.obj_parse(msg.content.encryptedContentInfo);

      }
      const bags = SafeContents.decode(msg.content, 'der')
      return bags.map(bag=> pbes2.obj_parse(bag.bagValue));
    }).reduce((acc, keys)=> acc.concat(keys), []);
}

function certbags_from_asn1(data) {
  const bags = SafeContents.decode(data, 'der');
  return bags.map(bag => bag.bagValue.certValue);
}

module.exports = { pfx_parse, certbags_from_asn1 };

},{"./dstszi2010":46,"./pbes":48,"./rfc3280":52,"asn1.js":2}],50:[function(require,module,exports){
var asn1 = require("asn1.js"),
  rfc3280 = require("./rfc3280"),
  rfc4210 = require("./rfc4210-cmp.js");

/*
OCSPRequest     ::=     SEQUENCE {
       tbsRequest                  TBSRequest,
       optionalSignature   [0]     EXPLICIT Signature OPTIONAL }
*/

var OCSPRequest = asn1.define("OCSPRequest", function() {
  this.seq().obj(
    this.key("tbsRequest").use(TBSRequest),
    this.key("optionalSignature")
      .optional()
      .explicit(0)
      .use(Signature)
  );
});

/*
   TBSRequest      ::=     SEQUENCE {
       version             [0]     EXPLICIT Version DEFAULT v1,
       requestorName       [1]     EXPLICIT GeneralName OPTIONAL,
       requestList                 SEQUENCE OF Request,
       requestExtensions   [2]     EXPLICIT Extensions OPTIONAL }
*/
var TBSRequest = asn1.define("TBSRequest", function() {
  this.seq().obj(
    this.key("version")
      .explicit(0)
      .use(Version)
      .def("v1"),
    this.key("requestorName")
      .explicit(1)
      .optional()
      .use(rfc4210.GeneralName),
    this.key("requestList").seqof(Request),
    this.key("requestExtensions")
      .explicit(2)
      .optional()
      .use(rfc3280.Extensions)
  );
});

/*
   Signature       ::=     SEQUENCE {
       signatureAlgorithm      AlgorithmIdentifier,
       signature               BIT STRING,
       certs               [0] EXPLICIT SEQUENCE OF Certificate
   OPTIONAL}
*/
var Signature = asn1.define("Signature", function() {
  this.seq().obj(
    this.key("signatureAlgorithm").use(rfc3280.AlgorithmIdentifier),
    this.key("signature").bitstr(),
    this.key("certs")
      .explicit(0)
      .optional()
      .seqof(rfc3280.Certificate)
  );
});

/*
   Version         ::=             INTEGER  {  v1(0) }
*/
var Version = asn1.define("Version", function() {
  this.int({ 0: "v1" });
});

/*
       CertificateSerialNumber  ::=  INTEGER
*/
var CertificateSerialNumber = asn1.define(
  "CertificateSerialNumber",
  function() {
    this.int();
  }
);

/*
   Request         ::=     SEQUENCE {
       reqCert                     CertID,
       singleRequestExtensions     [0] EXPLICIT Extensions OPTIONAL }
*/
var Request = asn1.define("Request", function() {
  this.seq().obj(
    this.key("reqCert").use(CertID),
    this.key("singleRequestExtensions")
      .explicit(0)
      .optional()
      .use(rfc3280.Extensions)
  );
});

/*
   CertID          ::=     SEQUENCE {
       hashAlgorithm       AlgorithmIdentifier,
       issuerNameHash      OCTET STRING, -- Hash of Issuer's DN
       issuerKeyHash       OCTET STRING, -- Hash of Issuers public key
       serialNumber        CertificateSerialNumber }
*/
var CertID = asn1.define("CertID", function() {
  this.seq().obj(
    this.key("hashAlgorithm").use(rfc3280.AlgorithmIdentifier),
    this.key("issuerNameHash").octstr(),
    this.key("issuerKeyHash").octstr(),
    this.key("serialNumber").use(CertificateSerialNumber)
  );
});

/*
   OCSPResponse ::= SEQUENCE {
      responseStatus         OCSPResponseStatus,
      responseBytes          [0] EXPLICIT ResponseBytes OPTIONAL }
 */

var OCSPResponse = asn1.define("OCSPResponse", function() {
  this.seq().obj(
    this.key("responseStatus").use(OCSPResponseStatus),
    this.key("responseBytes")
      .optional()
      .explicit(0)
      .use(ResponseBytes)
  );
});

/*
   OCSPResponseStatus ::= ENUMERATED {
       successful            (0),  --Response has valid confirmations
       malformedRequest      (1),  --Illegal confirmation request
       internalError         (2),  --Internal error in issuer
       tryLater              (3),  --Try again later
                                   --(4) is not used
       sigRequired           (5),  --Must sign the request
       unauthorized          (6)   --Request unauthorized
   } */

var OCSPResponseStatus = asn1.define("OCSPResponseStatus", function() {
  this.enum({
    0: "successful",
    1: "malformedRequest",
    2: "internalError",
    3: "tryLater",
    5: "sigRequired",
    6: "unauthorized"
  });
});

/*
   ResponseBytes ::=       SEQUENCE {
       responseType   OBJECT IDENTIFIER,
       response       OCTET STRING } 
*/

var ResponseBytes = asn1.define("ResponseBytes", function() {
  this.seq().obj(
    this.key("responseType").objid(),
    this.key("response").octstr()
  );
});

/*
    BasicOCSPResponse       ::= SEQUENCE {
      tbsResponseData      ResponseData,
      signatureAlgorithm   AlgorithmIdentifier,
      signature            BIT STRING,
      certs                [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
*/

var BasicOCSPResponse = asn1.define("BasicOCSPResponse", function() {
  this.seq().obj(
    this.key("tbsResponseData").use(ResponseData),
    this.key("signatureAlgorithm").use(rfc3280.AlgorithmIdentifier),
    this.key("signature").bitstr(),
    this.key("certs")
      .optional()
      .explicit(0)
      .seqof(rfc3280.Certificate)
  );
});

/*
   ResponseData ::= SEQUENCE {
      version              [0] EXPLICIT Version DEFAULT v1,
      responderID              ResponderID,
      producedAt               GeneralizedTime,
      responses                SEQUENCE OF SingleResponse,
      responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
 */

var ResponseData = asn1.define("ResponseData", function() {
  this.seq().obj(
    this.key("version")
      .explicit(0)
      .use(Version)
      .def("v1"),
    this.key("responderID").use(ResponderID),
    this.key("producedAt").gentime(),
    this.key("responses").seqof(SingleResponse),
    this.key("responseExtensions")
      .optional()
      .explicit(1)
      .use(rfc3280.Extensions)
  );
});

/*
   ResponderID ::= CHOICE {
      byName               [1] Name,
      byKey                [2] KeyHash }
*/

var ResponderID = asn1.define("ResponderID", function() {
  this.choice({
    byName: this.explicit(1).use(rfc3280.Name),
    byKey: this.explicit(2).use(KeyHash)
  });
});

var KeyHash = asn1.define("KeyHash", function() {
  this.octstr();
});

/*
   SingleResponse ::= SEQUENCE {
      certID                       CertID,
      certStatus                   CertStatus,
      thisUpdate                   GeneralizedTime,
      nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
      singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
*/

var SingleResponse = asn1.define("SingleResponse", function() {
  this.seq().obj(
    this.key("certID").use(CertID),
    this.key("certStatus").use(CertStatus),
    this.key("thisUpdate").gentime(),
    this.key("nextUpdate")
      .optional()
      .explicit(0)
      .gentime(),
    this.key("singleExtensions")
      .optional()
      .explicit(1)
      .use(rfc3280.Extensions)
  );
});

/*
   CertStatus ::= CHOICE {
       good        [0]     IMPLICIT NULL,
       revoked     [1]     IMPLICIT RevokedInfo,
       unknown     [2]     IMPLICIT UnknownInfo }
*/

var CertStatus = asn1.define("CertStatus", function() {
  this.choice({
    good: this.implicit(0).null_(),
    revoked: this.implicit(1).use(RevokedInfo),
    unknown: this.implicit(2).use(UnknownInfo)
  });
});

/*
   RevokedInfo ::= SEQUENCE {
       revocationTime              GeneralizedTime,
       revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }
    */

var RevokedInfo = asn1.define("RevokedInfo", function() {
  this.seq().obj(
    this.key("revocationTime").gentime(),
    this.key("revocationReason")
      .optional()
      .explicit(0)
      .use(rfc3280.CRLReason)
  );
});

/*
   UnknownInfo ::= NULL -- this can be replaced with an enumeration
*/

var UnknownInfo = asn1.define("UnknownInfo", function() {
  this.null_();
});

module.exports = {
  CertID,
  ResponderID,
  ResponseData,
  OCSPRequest: OCSPRequest,
  OCSPResponse: OCSPResponse,
  BasicOCSPResponse: BasicOCSPResponse
};

},{"./rfc3280":52,"./rfc4210-cmp.js":53,"asn1.js":2}],51:[function(require,module,exports){
var asn1 = require('asn1.js');
var dstszi2010 = require('./dstszi2010');
var rfc3280 = require('./rfc3280');

/*

TimeStampReq ::= SEQUENCE  {
   version                      INTEGER  { v1(1) },
   messageImprint               MessageImprint,
     --a hash algorithm OID and the hash value of the data to be time-stamped
   reqPolicy             TSAPolicyId              OPTIONAL,
   nonce                 INTEGER                  OPTIONAL,
   certReq               BOOLEAN                  DEFAULT FALSE,
   extensions            [0] IMPLICIT Extensions  OPTIONAL  }

*/

var TimeStampReq = asn1.define('TimeStampReq', function () {
  this.seq().obj(
    this.key('version').int({1: 'v1'}),
    this.key('messageImprint').use(MessageImprint)
  );
});

var MessageImprint = asn1.define('MessageImprint', function () {
  this.seq().obj(
    this.key('hashAlgorithm').use(rfc3280.AlgorithmIdentifier),
    this.key('hashedMessage').octstr()
  );
});

/*
   TimeStampResp ::= SEQUENCE  {
      status                  PKIStatusInfo,
      timeStampToken          TimeStampToken     OPTIONAL  }
*/

var TimeStampResp = asn1.define('TimeStampResp', function () {
	this.seq().obj(
		this.key('status').use(PKIStatusInfo),
    this.key('timeStampToken').use(dstszi2010.ContentInfo)
  );
});

var PKIStatusInfo = asn1.define('PKIStatusInfo', function () {
	this.seq().obj(
		this.key('status').int({
			0: 'granted',
			1: 'grantedWithMods',
	    2: 'rejection',
      3: 'waiting',
      4: 'revocationWarning',
    }),
    this.key('statusString').any().optional(),
    this.key('failInfo').any().optional()
  );
});


var TSTInfoStr = asn1.define('TSTInfoStr', function () {
  this.octstr();
});

var TSTInfo = asn1.define('TSTInfoSeq', function () {
  this.seq().obj(
    this.key('version').int({1: 'v1'}),
    this.key('policy').objid(),
    this.key('messageImprint').use(MessageImprint),
    this.key('serialNumber').int(),
    this.key('genTime').gentime(),
    this.key('accuracy').seq().optional(),
    this.key('ordering').bool().optional().def(false),
    this.key('nonce').int().optional(),
    this.key('tsa').use('GeneralName').optional(),
    this.key('extensions').any().optional()
  );
});

dstszi2010.ContentInfo.contentModel.tstInfo = TSTInfoStr;

module.exports = {
  TimeStampReq: TimeStampReq,
  TimeStampResp: TimeStampResp,
  TSTInfo: TSTInfo,
};

},{"./dstszi2010":46,"./rfc3280":52,"asn1.js":2}],52:[function(require,module,exports){
var asn1 = require('asn1.js');

var CRLReason = asn1.define('CRLReason', function() {
  this.enum({
    0: 'unspecified',
    1: 'keyCompromise',
    2: 'CACompromise',
    3: 'affiliationChanged',
    4: 'superseded',
    5: 'cessationOfOperation',
    6: 'certificateHold',
    8: 'removeFromCRL',
    9: 'privilegeWithdrawn',
    10: 'AACompromise'
  });
});
exports.CRLReason = CRLReason;

var ALGORITHMS_IDS = {
    "1 2 804 2 1 1 1 1 2 1": "Gost34311",
    '1 2 804 2 1 1 1 1 1 1 3': "Gost28147-cfb",
    '1 2 804 2 1 1 1 1 3 4': 'dhSinglePass-cofactorDH-gost34311kdf',
    "1 2 804 2 1 1 1 1 1 1 5": "Gost28147-cfb-wrap",
    '1 2 804 2 1 1 1 1 1 2': "Gost34311-hmac",
    '1 2 804 2 1 1 1 1 3 1 1': "Dstu4145le",
    '1 2 840 10045 2 1': 'ECDSA',
    '1 2 840 10045 4 3 2': 'ECDSA-SHA256',
};
exports.ALGORITHMS_IDS = ALGORITHMS_IDS;

var AlgorithmIdentifier = asn1.define('AlgorithmIdentifier', function() {
  this.seq().obj(
    this.key('algorithm').objid(ALGORITHMS_IDS),
    this.key('parameters').optional().any()
  );
});
exports.AlgorithmIdentifier = AlgorithmIdentifier;

var Certificate = asn1.define('Certificate', function() {
  this.seq().obj(
    this.key('tbsCertificate').use(TBSCertificate),
    this.key('signatureAlgorithm').use(AlgorithmIdentifier),
    this.key('signature').bitstr()
  );
});
exports.Certificate = Certificate;

var TBSCertificate = asn1.define('TBSCertificate', function() {
  this.seq().obj(
    this.key('version').def('v1').explicit(0).use(Version),
    this.key('serialNumber').use(CertificateSerialNumber),
    this.key('signature').use(AlgorithmIdentifier),
    this.key('issuer').use(Name),
    this.key('validity').use(Validity),
    this.key('subject').use(Name),
    this.key('subjectPublicKeyInfo').use(SubjectPublicKeyInfo),

    // TODO(indutny): validate that version is v2 or v3
    this.key('issuerUniqueID').optional().implicit(1).use(UniqueIdentifier),
    this.key('subjectUniqueID').optional().implicit(2).use(UniqueIdentifier),

    // TODO(indutny): validate that version is v3
    this.key('extensions').optional().explicit(3).use(Extensions)
  );
});
exports.TBSCertificate = TBSCertificate;

var Version = asn1.define('Version', function() {
  this.int({
    0: 'v1',
    1: 'v2',
    2: 'v3'
  });
});
exports.Version = Version;

var CertificateSerialNumber = asn1.define('CertificateSerialNumber',
                                          function() {
  this.int();
});
exports.CertificateSerialNumber = CertificateSerialNumber;

var Validity = asn1.define('Validity', function() {
  this.seq().obj(
    this.key('notBefore').use(Time),
    this.key('notAfter').use(Time)
  );
});
exports.Validity = Validity;

var Time = asn1.define('Time', function() {
  this.choice({
    utcTime: this.utctime(),
    genTime: this.gentime()
  });
});
exports.Time = Time;

var UniqueIdentifier = asn1.define('UniqueIdentifier', function() {
  this.bitstr();
});
exports.UniqueIdentifier = UniqueIdentifier;

var AnyAlgorithmParams = asn1.define('AlgorithmParams', function() {
  this.any();
});

var PUBKEY_PARAMS = {
  'any': AnyAlgorithmParams,
};
var PubkeyAlgorithmIdentifier = asn1.define('PubkeyAlgorithmIdentifier', function() {
  this.seq().obj(
    this.key('algorithm').objid(ALGORITHMS_IDS),
    this.key('parameters').use(function(obj) {
      return PUBKEY_PARAMS[obj.algorithm] || PUBKEY_PARAMS.any;
    })
  );
});


var SubjectPublicKeyInfo = asn1.define('SubjectPublicKeyInfo', function() {
  this.seq().obj(
    this.key('algorithm').use(PubkeyAlgorithmIdentifier),
    this.key('subjectPublicKey').bitstr()
  );
});
exports.SubjectPublicKeyInfo = SubjectPublicKeyInfo;

var Extensions = asn1.define('Extensions', function() {
  this.seqof(Extension)
});
exports.Extensions = Extensions;

var extnIdMap = {
"1 3 6 1 5 5 7 1 1": "authorityInfoAccess",
"1 3 6 1 5 5 7 1 2": "biometricInfo",
"1 3 6 1 5 5 7 1 3": "qcStatements",
"1 3 6 1 5 5 7 1 4": "ac-auditEntity",
"1 3 6 1 5 5 7 1 5": "ac-targeting",
"1 3 6 1 5 5 7 1 6": "aaControls",
"1 3 6 1 5 5 7 1 7": "sbgp-ipAddrBlock",
"1 3 6 1 5 5 7 1 8": "sbgp-autonomousSysNum",
"1 3 6 1 5 5 7 1 9": "sbgp-routerIdentifier",
"1 3 6 1 5 5 7 1 10": "ac-proxying",
"1 3 6 1 5 5 7 1 11": "subjectInfoAccess",
"1 3 6 1 5 5 7 1 14": "proxyCertInfo",
'2 5 29 9': 'subjectDirectoryAttributes',
'2 5 29 14': 'subjectKeyIdentifier',
'2 5 29 15': 'keyUsage',
'2 5 29 16': 'privateKeyUsagePeriod',
'2 5 29 17': 'subjectAltName',
'2 5 29 18': 'issuerAltName',
'2 5 29 19': 'basicConstraints',
'2 5 29 20': 'crlNumber',
'2 5 29 21': 'CRLReason',
'2 5 29 24': 'invalidityDate',
'2 5 29 27': 'deltaCRL',
'2 5 29 28': 'issuingDistributionPoint',
'2 5 29 29': 'certificateIssuer',
'2 5 29 30': 'nameConstraints',
'2 5 29 31': 'crlDistributionPoints',
'2 5 29 32': 'certificatePolicies',
'2 5 29 32 0': 'anyPolicy',
'2 5 29 33': 'policyMappings',
'2 5 29 35': 'authorityKeyIdentifier',
'2 5 29 36': 'policyConstraints',
'2 5 29 37': 'extendedKeyUsage',
'2 5 29 46': 'freshestCRL',
'2 5 29 54': 'inhibitAnyPolicy',
'2 5 29 55': 'targetInformation',
'2 5 29 56': 'noRevAvail',
'1 3 6 1 5 5 7 48 1 2': 'OCSPNonce',
}

var Extension = asn1.define('Extension', function() {
  this.seq().obj(
    this.key('extnID').objid(extnIdMap),
    this.key('critical').bool().def(false),
    this.key('extnValue').octstr()
  );
});
exports.Extension = Extension;

/**

  Name ::= CHOICE { -- only one possibility for now --
      rdnSequence  RDNSequence }

*/
var Name = asn1.define('Name', function() {
  this.choice({
    rdn: this.use(RDNSequence)
  });
});
exports.Name = Name;

var RDNSequence = asn1.define('RDNSequence', function() {
  this.seqof(RelativeDistinguishedName);
});
exports.RDNSequence = RDNSequence;

var RelativeDistinguishedName = asn1.define('RelativeDistinguishedName',
                                            function() {
  this.setof(AttributeTypeAndValue);
});
exports.RelativeDistinguishedName = RelativeDistinguishedName;

var AttributeTypeAndValue = asn1.define('AttributeTypeAndValue', function() {
  this.seq().obj(
    this.key('type').use(AttributeType),
    this.key('value').use(AttributeValue)
  );
});
exports.AttributeTypeAndValue = AttributeTypeAndValue;

var AttributeObjId = {
    '1 2 840 113549 1 9 3': 'contentType',
    '1 2 840 113549 1 9 4': 'messageDigest',
    '1 2 840 113549 1 9 5': 'signingTime',
    '1 2 840 113549 1 9 16 2 47': 'signingCertificateV2',
    '1 2 840 113549 1 9 16 2 20': 'contentTimeStamp',
    '1 2 840 113549 1 9 16 2 14': 'timeStampToken',
    '1 2 840 113549 1 9 16 2 21': 'certificateRefs',
    '1 2 840 113549 1 9 16 2 22': 'revocationRefs',
    '1 2 840 113549 1 9 16 2 23': 'certificateValues',
    '1 2 840 113549 1 9 16 2 24': 'revocationValues',
    '2 5 4 3': 'commonName',
    '2 5 4 4': 'surname',
    '2 5 4 5': 'serialNumber',
    '2 5 4 6': 'countryName',
    '2 5 4 7': 'localityName',
    '2 5 4 8': 'stateOrProvinceName',
    '2 5 4 9': 'streetAddress',
    '2 5 4 10': 'organizationName',
    '2 5 4 11': 'organizationalUnitName',
    '2 5 4 12': 'title',
    '2 5 4 13': 'description',
    '2 5 4 14': 'searchGuide',
    '2 5 4 15': 'businessCategory',
    '2 5 4 16': 'postalAddress',
    '2 5 4 17': 'postalCode',
    '2 5 4 18': 'postOfficeBox',
    '2 5 4 19': 'physicalDeliveryOfficeName',
    '2 5 4 20': 'telephoneNumber',
    '2 5 4 21': 'telexNumber',
    '2 5 4 22': 'teletexTerminalIdentifier',
    '2 5 4 23': 'facsimileTelephoneNumber',
    '2 5 4 24': 'x121Address',
    '2 5 4 25': 'internationaliSDNNumber',
    '2 5 4 26': 'registeredAddress',
    '2 5 4 27': 'destinationIndicator',
    '2 5 4 28': 'preferredDeliveryMethod',
    '2 5 4 29': 'presentationAddress',
    '2 5 4 30': 'supportedApplicationContext',
    '2 5 4 31': 'member',
    '2 5 4 32': 'owner',
    '2 5 4 33': 'roleOccupant',
    '2 5 4 34': 'seeAlso',
    '2 5 4 35': 'userPassword',
    '2 5 4 36': 'userCertificate',
    '2 5 4 37': 'cACertificate',
    '2 5 4 38': 'authorityRevocationList',
    '2 5 4 39': 'certificateRevocationList',
    '2 5 4 40': 'crossCertificatePair',
    '2 5 4 41': 'name',
    '2 5 4 42': 'givenName',
    '2 5 4 43': 'initials',
    '2 5 4 44': 'generationQualifier',
    '2 5 4 45': 'x500UniqueIdentifier',
    '2 5 4 46': 'dnQualifier',
    '2 5 4 47': 'enhancedSearchGuide',
    '2 5 4 48': 'protocolInformation',
    '2 5 4 49': 'distinguishedName',
    '2 5 4 50': 'uniqueMember',
    '2 5 4 51': 'houseIdentifier',
    '2 5 4 52': 'supportedAlgorithms',
    '2 5 4 53': 'deltaRevocationList',
    '2 5 4 54': 'dmdName',
    '2 5 4 65': 'pseudonym',
    '2 5 4 72': 'role',
    '2 5 4 97': 'organizationIdentifier',
}
var AttributeType = asn1.define('AttributeType', function() {
  this.objid(AttributeObjId)
});
exports.AttributeType = AttributeType;

var AttributeValue = asn1.define('AttributeValue', function() {
  this.any();
});
exports.AttributeValue = AttributeValue;

var KeyPurposeIdMap = {
  '1 3 6 1 5 5 7 3 8': 'timeStamping',
  '1 3 6 1 5 5 7 3 9': 'ocspSigning'
};
var KeyPurposeId = asn1.define('KeyPurposeId', function () {
  this.objid(KeyPurposeIdMap)
});

var ExtKeyUsageSyntax = asn1.define('ExtKeyUsageSyntax', function () {
  this.seqof(KeyPurposeId);
});
exports.ExtKeyUsageSyntax = ExtKeyUsageSyntax;

var BasicConstraints = asn1.define('BasicConstraints', function () {
  this.seq().obj(
    this.key('cA').bool().def(false),
    this.key('pathLenConstraint').int().optional()
  );
});
exports.BasicConstraints = BasicConstraints;

exports.injectPubAlgo = function(algo, paramSpec) {
    PUBKEY_PARAMS[algo] = paramSpec;
};

},{"asn1.js":2}],53:[function(require,module,exports){
var asn1 = require('asn1.js'),
    rfc3280 = require('./rfc3280.js');

/*
    OtherName ::= SEQUENCE {
        type-id    OBJECT IDENTIFIER,
        value      [0] EXPLICIT ANY DEFINED BY type-id 
    }
*/

var OtherName = asn1.define('OtherName', function() {
    this.seq().obj(
        this.key('type-id').objid(),
        this.key('value').any()
    );
});
var AnotherName = OtherName;

var IA5String = asn1.define('IA5String', function() {
    this.ia5str();
});

var ORAddress = asn1.define('ORAddress', function() {
    this.any(); // XXX no definition supplied
});

var EDIPartyName = asn1.define('EDIPartyName', function() {
    this.seq().obj(
        this.key('nameAssigner').implicit(0).optional().octstr(),
        this.key('partyName').implicit(1).octstr()
    );
});

var KeyIdentifier = asn1.define('KeyIdentifier', function() {
    this.octstr();
});

var PKIFreeText = asn1.define('PKIFreeText', function() {
    this.octstr(); // XXX UTF8String
});

var InfoTypeAndValue = asn1.define('InfoTypeAndValue', function() {
    this.seq().obj(
        this.key('infoType').objid(),
        this.key('infoValue').optional().any()
    );
});

/*
    GeneralName ::= CHOICE {
     otherName                       [0]     AnotherName,
     rfc822Name                      [1]     IA5String,
     dNSName                         [2]     IA5String,
     x400Address                     [3]     ORAddress,
     directoryName                   [4]     Name,
     ediPartyName                    [5]     EDIPartyName,
     uniformResourceIdentifier       [6]     IA5String,
     iPAddress                       [7]     OCTET STRING,
     registeredID                    [8]     OBJECT IDENTIFIER }
*/

var GeneralName = asn1.define('GeneralName', function() {
    this.choice({
        otherName: this.explicit(0).use(AnotherName),
        rfc822Name: this.explicit(1).use(IA5String),
        dNSName: this.explicit(2).use(IA5String),
        x400Address: this.explicit(3).use(ORAddress),
        directoryName: this.explicit(4).use(rfc3280.Name),
        ediPartyName: this.explicit(5).use(EDIPartyName),
        uniformResourceIdentifier: this.explicit(6).use(IA5String),
        iPAddress: this.explicit(7).octstr(),
        registeredID: this.explicit(8).objid()
    });
});
module.exports.GeneralName = GeneralName;

/*

     http://tools.ietf.org/html/rfc4210#section-5.3.1

     PKIHeader ::= SEQUENCE {
         pvno                INTEGER     { cmp1999(1), cmp2000(2) },
         sender              GeneralName,
         recipient           GeneralName,
         messageTime     [0] GeneralizedTime         OPTIONAL,
         protectionAlg   [1] AlgorithmIdentifier     OPTIONAL,
         senderKID       [2] KeyIdentifier           OPTIONAL,
         recipKID        [3] KeyIdentifier           OPTIONAL,
         transactionID   [4] OCTET STRING            OPTIONAL,
         senderNonce     [5] OCTET STRING            OPTIONAL,
         recipNonce      [6] OCTET STRING            OPTIONAL,
         freeText        [7] PKIFreeText             OPTIONAL,
         generalInfo     [8] SEQUENCE SIZE (1..MAX) OF
                             InfoTypeAndValue     OPTIONAL
     }
     PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
*/

var PKIHeader = asn1.define('PKIHeader', function() {
    this.seq().obj(
        this.key('pvno').int().def(2),
        this.key('sender').use(GeneralName),
        this.key('recipient').use(GeneralName),
        this.key('messageTime').optional().implicit(0).gentime(),
        this.key('protectionAlg').optional().implicit(1).use(rfc3280.AlgorithmIdentifier),
        this.key('senderKID').optional().implicit(2).use(KeyIdentifier),
        this.key('recipKID').optional().implicit(3).use(KeyIdentifier),
        this.key('transactionID').optional().implicit(4).octstr(),
        this.key('senderNonce').optional().implicit(5).octstr(),
        this.key('recipNonce').optional().implicit(6).octstr(),
        this.key('freeText').optional().implicit(7).use(PKIFreeText),
        this.key('generalInfo').optional().implicit(8).seqof(InfoTypeAndValue)
    );
});
/* CRMF 

   CertRequest ::= SEQUENCE {
      certReqId     INTEGER,        -- ID for matching request and reply
      certTemplate  CertTemplate, --Selected fields of cert to be issued
      controls      Controls OPTIONAL } -- Attributes affecting issuance

   CertTemplate ::= SEQUENCE {
      version      [0] Version               OPTIONAL,
      serialNumber [1] INTEGER               OPTIONAL,
      signingAlg   [2] AlgorithmIdentifier   OPTIONAL,
      issuer       [3] Name                  OPTIONAL,
      validity     [4] OptionalValidity      OPTIONAL,
      subject      [5] Name                  OPTIONAL,
      publicKey    [6] SubjectPublicKeyInfo  OPTIONAL,
      issuerUID    [7] UniqueIdentifier      OPTIONAL,
      subjectUID   [8] UniqueIdentifier      OPTIONAL,
      extensions   [9] Extensions            OPTIONAL }

   OptionalValidity ::= SEQUENCE {
      notBefore  [0] Time OPTIONAL,
      notAfter   [1] Time OPTIONAL } --at least one must be present

   Time ::= CHOICE {
      utcTime        UTCTime,
      generalTime    GeneralizedTime }
*/

var OptionalValidity = asn1.define('OptionalValidity', function() {
    this.seq().obj(
        this.key('notBefore').implicit(0).optional().use(rfc3280.Time),
        this.key('notAfter').implicit(1).optional().use(rfc3280.Time)
    );
});

var CertTemplate = asn1.define('CertTemplate', function() {
    this.seq().obj(
        this.key('version').optional().implicit(0).use(rfc3280.Version),
        this.key('serialNumber').optional().implicit(1).use(rfc3280.CertificateSerialNumber),
        this.key('signingAlg').optional().implicit(2).use(rfc3280.AlgorithmIdentifier),
        this.key('issuer').optional().implicit(3).use(rfc3280.Name),
        this.key('validity').optional().implicit(4).use(OptionalValidity),
        this.key('subject').optional().implicit(5).use(rfc3280.Name),
        this.key('publicKey').optional().implicit(6).use(rfc3280.SubjectPublicKeyInfo),
        this.key('issuerUID').optional().implicit(7).use(rfc3280.UniqueIdentifier),
        this.key('subjectUID').optional().implicit(8).use(rfc3280.UniqueIdentifier),
        this.key('extensions').optional().implicit(8).use(rfc3280.Extensions)
    );
});

var ProofOfPossession = asn1.define('ProofOfPossession', function() {
    this.choice({
        raVerified: this.implicit(0).null_()
    });
});

var CertRequest = asn1.define('CertRequest', function() {
    this.seq().obj(
        this.key('certReqId').int(),
        this.key('certTemplate').use(CertTemplate),
        this.key('controls').optional().any() // XXX
    );
});

var CertReqMsg = asn1.define('CertReqMsg', function() {
    this.seq().obj(
        this.key('certReq').use(CertRequest),
        this.key('popo').optional().use(ProofOfPossession)
    );
});

var CertReqMessages = asn1.define('CertReqMessages', function() {
    this.seqof(CertReqMsg);
});

var PKIStatus = asn1.define('PKIStatus', function() {
    this.int();
});

var PKIStatusInfo = asn1.define('PKIStatusInfo', function() {
    this.seq().obj(
        this.key('status').use(PKIStatus),
        this.key('statusString').use(PKIFreeText).optional(),
        this.key('failInfo').optional().any() //XXX PKIFailureInfo
    );
});

var CertResponse = asn1.define('CertResponse', function() {
    this.seq().obj(
        this.key('certReqId').integer(),
        this.key('status').use(PKIStatusInfo)
    );
});

var CertRepMessage = asn1.define('CertReqMessage', function() {
    this.seq().obj(
        this.key('caPubs').implicit(0).seqof(rfc3280.Certificate).optional(),
        this.key('response').seqof(CertResponse)
    );
});

/*

    PKIBody ::= CHOICE {
          ir       [0]  CertReqMessages,       --Initialization Req
          ip       [1]  CertRepMessage,        --Initialization Resp
          cr       [2]  CertReqMessages,       --Certification Req
          cp       [3]  CertRepMessage,        --Certification Resp
          p10cr    [4]  CertificationRequest,  --PKCS #10 Cert.  Req.
          popdecc  [5]  POPODecKeyChallContent --pop Challenge
          popdecr  [6]  POPODecKeyRespContent, --pop Response
          kur      [7]  CertReqMessages,       --Key Update Request
          kup      [8]  CertRepMessage,        --Key Update Response
          krr      [9]  CertReqMessages,       --Key Recovery Req
          krp      [10] KeyRecRepContent,      --Key Recovery Resp
          rr       [11] RevReqContent,         --Revocation Request
          rp       [12] RevRepContent,         --Revocation Response
          ccr      [13] CertReqMessages,       --Cross-Cert.  Request
          ccp      [14] CertRepMessage,        --Cross-Cert.  Resp
          ckuann   [15] CAKeyUpdAnnContent,    --CA Key Update Ann.
          cann     [16] CertAnnContent,        --Certificate Ann.
          rann     [17] RevAnnContent,         --Revocation Ann.
          crlann   [18] CRLAnnContent,         --CRL Announcement
          pkiconf  [19] PKIConfirmContent,     --Confirmation
          nested   [20] NestedMessageContent,  --Nested Message
          genm     [21] GenMsgContent,         --General Message
          genp     [22] GenRepContent,         --General Response
          error    [23] ErrorMsgContent,       --Error Message
          certConf [24] CertConfirmContent,    --Certificate confirm
          pollReq  [25] PollReqContent,        --Polling request
          pollRep  [26] PollRepContent         --Polling response
    }
*/
var PKIBody = asn1.define('PKIBody', function() {
    this.choice({
        ir: this.implicit(0).optional().use(CertReqMessages),
        ip: this.implicit(1).optional().use(CertRepMessage)
    });
});

var CMPCertificate = asn1.define('CMPCertificate', function() {
    this.use(rfc3280.Certificate);
});

var PKIProtection = asn1.define('PKIProtection', function() {
    this.bitstr();
});

/*
     http://tools.ietf.org/html/rfc4210#section-5.3.1

     PKIMessage ::= SEQUENCE {
         header           PKIHeader,
         body             PKIBody,
         protection   [0] PKIProtection OPTIONAL,
         extraCerts   [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate
                          OPTIONAL
     }
     PKIMessages ::= SEQUENCE SIZE (1..MAX) OF PKIMessage

*/

var PKIMessage = asn1.define('PKIMessage', function() {
    this.seq().obj(
        this.key('header').use(PKIHeader),
        this.key('body').use(PKIBody),
        this.key('protection').optional().implicit(0).use(PKIProtection),
        this.key('extraCerts').optional().implicit(1).seqof(CMPCertificate)
    );
});

module.exports.PKIMessage = PKIMessage;

},{"./rfc3280.js":52,"asn1.js":2}],54:[function(require,module,exports){
var asn1 = require('asn1.js'),
    cmp = require('./rfc4210-cmp.js'),
    rfc3280 = require('./rfc3280.js');

/*
    ESSCertIDv2 ::=  SEQUENCE {
        hashAlgorithm           AlgorithmIdentifier
                DEFAULT {algorithm id-sha256},
        certHash                 Hash,
        issuerSerial             IssuerSerial OPTIONAL
    }

    Hash ::= OCTET STRING

    IssuerSerial ::= SEQUENCE {
        issuer                   GeneralNames,
        serialNumber             CertificateSerialNumber
    }
*/

var GeneralNames = asn1.define('GeneralNames', function() {
    this.seqof(cmp.GeneralName);
});

var IssuerSerial = asn1.define('IssuerSerial', function() {
    this.seq().obj(
        this.key('issuer').use(GeneralNames),
        this.key('serialNumber').use(rfc3280.CertificateSerialNumber)
    );
});
module.exports.IssuerSerial = IssuerSerial;

var ESSCertIDv2 = asn1.define('ESSCertIDv2', function() {
    this.seq().obj(
        this.key('hashAlgorithm').use(rfc3280.AlgorithmIdentifier),
        this.key('certHash').octstr(),
        this.key('issuerSerial').use(IssuerSerial)
    );
});

module.exports.ESSCertIDv2 = ESSCertIDv2;

var SigningCertificateV2 = asn1.define('SigningCertificateV2', function() {
    this.seq().obj(
        this.key('certs').seqof(ESSCertIDv2),
        this.key('policies').optional().any()
    );
});
SigningCertificateV2.wrap = function (cert, hash) {
    var idv2 = {
        'hashAlgorithm': {
            'algorithm': 'Gost34311',
        },
        'certHash': hash,
        'issuerSerial': {
            'issuer': [{
                type: 'directoryName',
                value: cert.tbsCertificate.issuer
            }],
            'serialNumber': cert.tbsCertificate.serialNumber,
        }
    };
    var data = {
        certs: [idv2]
    };
    return SigningCertificateV2.encode(data, 'der');
};

module.exports.SigningCertificateV2 = SigningCertificateV2;

},{"./rfc3280.js":52,"./rfc4210-cmp.js":53,"asn1.js":2}],55:[function(require,module,exports){
const asn1 = require("asn1.js");
const rfc2560 = require("./rfc2560-ocsp.js");
const rfc3280 = require("./rfc3280.js");
const { IssuerAndSerialNumber } = require("./dstszi2010.js");

const CertificateList = asn1.define("CertificateList", function() {
  // CRL is not supported really
  this.any();
});

const CrlValidatedID = asn1.define("CrlValidatedID", function() {
  // same as above
  this.any();
});

const RevocationValues = asn1.define("RevocationValues", function() {
  this.seq().obj(
    this.key("crlVals")
      .optional()
      .explicit(0)
      .seqof(CertificateList),
    this.key("ocspVals")
      .optional()
      .explicit(1)
      .seqof(rfc2560.BasicOCSPResponse)
  );
});

const OcspIdentifier = asn1.define("OcspIdentifier", function() {
  this.seq().obj(
    this.key("ocspResponderID").use(rfc2560.ResponderID),
    this.key("producedAt").gentime()
  );
});

const OtherHashAlgAndValue = asn1.define("OtherHashAlgAndValue", function() {
  this.seq().obj(
    this.key("hashAlgorithm").use(rfc3280.AlgorithmIdentifier),
    this.key("hashValue").octstr()
  );
});

const OcspResponsesID = asn1.define("OcspResponsesID", function() {
  this.seq().obj(
    this.key("ocspIdentifier").use(OcspIdentifier),
    this.key("ocspRepHash")
      .optional()
      .use(OtherHashAlgAndValue)
  );
});

const OcspListID = asn1.define("OcspListID", function() {
  this.seq().obj(this.key("ocspResponses").seqof(OcspResponsesID));
});

const CrlOcspRef = asn1.define("CrlOcspRef", function() {
  this.seq().obj(
    this.key("crlids")
      .optional()
      .explicit(0)
      .use(CrlValidatedID),
    this.key("ocspids")
      .optional()
      .explicit(1)
      .use(OcspListID)
  );
});

const RevocationRefs = asn1.define("CompleteRevocationRefs", function() {
  this.seqof(CrlOcspRef);
});

const OtherCertID = asn1.define("OtherCertID", function() {
  this.seq().obj(
    this.key("otherCertHash").use(OtherHashAlgAndValue),
    this.key("issuerSerial")
      .optional()
      .use(IssuerAndSerialNumber)
  );
});

const CompleteCertificateRefs = asn1.define(
  "CompleteCertificateRefs",
  function() {
    this.seqof(OtherCertID);
  }
);

module.exports = { RevocationValues, RevocationRefs, CompleteCertificateRefs };

},{"./dstszi2010.js":46,"./rfc2560-ocsp.js":50,"./rfc3280.js":52,"asn1.js":2}],56:[function(require,module,exports){
const DSTU_PB_257 = {
  a: "0",
  b:
    "01 CEF49472 0115657E 18F938D7 A7942394 FF9425C1 458C5786 1F9EEA6A DBE3BE10",

  base: {
    x:
      "2A29EF20 7D0E9B6C 55CD260B 306C7E00 7AC491CA 1B10C623 34A9E8DC D8D20FB7",
    y:
      "01 0686D41F F744D444 9FCCF6D8 EEA03102 E6812C93 A9D60B97 8B702CF1 56D814EF"
  },

  order:
    "80000000 00000000 00000000 00000000 6759213A F182E987 D3E17714 907D470D",
  kofactor: [4],

  m: 257,
  ks: [12]
};

const DSTU_PB_431 = {
  a: "1",
  b:
    "03CE 10490F6A 708FC26D FE8C3D27 C4F94E69 0134D5BF F988D8D2 8AAEAEDE 975936C6 6BAC536B 18AE2DC3 12CA4931 17DAA469 C640CAF3",
  base: {
    x:
      "1A62 BA79D981 33A16BBA E7ED9A8E 03C32E08 24D57AEF 72F88986 874E5AAE 49C27BED 49A2A950 58068426 C2171E99 FD3B43C5 947C857D",
    y:
      "70B5 E1E14031 C1F70BBE FE96BDDE 66F45175 4B4CA5F4 8DA241F3 31AA396B 8D1839A8 55C1769B 1EA14BA5 3308B5E2 723724E0 90E02DB9"
  },
  order:
    "3FFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFBA3175 458009A8 C0A724F0 2F81AA8A 1FCBAF80 D90C7A95 110504CF",
  kofactor: [2],

  m: 431,
  ks: [1, 3, 5]
};

module.exports = {
  DSTU_PB_257,
  DSTU_PB_431,
  cache: {}
};

},{}],57:[function(require,module,exports){
/*jslint plusplus: true, bitwise: true */
'use strict';
var Field = require('./field.js');

var add_zero = function (u8, reorder) {
    var ret = [], i;

    if (u8.toBuffer !== undefined) {
        u8 = u8.toBuffer();
    }

    if (reorder !== true) {
        ret.push(0);
    }
    for (i = 0; i < u8.length; i++) {
        ret.push(u8[i]);
    }

    if (reorder === true) {
        ret.push(0);
        ret = ret.reverse();
    }
    return ret;
};


var invert = function (u8) {
    /*
     * Invert should mask number of "unsed" bits from input.
     * Hoever this bits shold be zeroes and it's safe to
     * ignore them.
     *  mask = 0xFF >>> unused;
     *  */
    var i, cr, ret = [];
    for (i = u8.length - 1; i >= 0; i--) {
        cr = u8[i];
        cr = (
            cr >> 7          | (cr >> 5) &  2 | (cr >> 3) &  4 | (cr >> 1) & 8
            | (cr << 1) & 16 | (cr << 3) & 32 | (cr << 5) & 64 | (cr << 7) & 128
        );
        ret.push(cr);
    }

    return ret;
};

var HEX_REGEXP = /^[A-Fa-f0-9]+$/;

var is_hex = function (inp) {
    var res;

    if ((typeof inp) !== 'string') {
        return false;
    }

    res = inp.match(HEX_REGEXP);
    if (res === null) {
        return false;
    }

    return res.length > 0;
};

var BIG_BE = function (inp) {
    return Field.from_u8(inp);
};

var BIG_LE = function (inp) {
    return Field.from_u8(Array.prototype.slice.call(inp, 0).reverse());
};

/*
 * Construct big number from inverted bit string.
 * This is different from LE as not bits should be
 * inverted as well as bytes.
 */
var BIG_INVERT = function (inp) {
    return add_zero(invert(inp));
};

var maybeHex = function (inp, pad) {
    var tmp, ret;
    if((typeof inp) === 'number') {
        ret = [0, inp];
    }

    if (typeof inp === 'string') {
        tmp = inp.replace(/ /g, '');
        if(is_hex(tmp)) {
            return Field.from_hex(tmp, pad);
        }
    }

    if (!ret) {
        ret = inp;
    }

    if (pad) {
        if (!ret.push) {
            ret = Array.prototype.slice.call(inp, 0);
        }
        while(pad--) {
            ret.push(0);
        }
    }

    return new Uint32Array(ret);
};

var strFromUtf8 = function (ab) {
    return decodeURIComponent(escape(String.fromCharCode.apply(null, ab)));
};

module.exports = {
    add_zero: add_zero,
    is_hex: is_hex,
    invert: invert,
    BIG_BE: BIG_BE,
    BIG_LE: BIG_LE,
    BIG_INVERT: BIG_INVERT,
    maybeHex: maybeHex,
    strFromUtf8: strFromUtf8,
};

},{"./field.js":35}],58:[function(require,module,exports){
/*jslint plusplus: true, bitwise: true */
'use strict';

var Buffer = require('buffer').Buffer;

var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
    B64_URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=",
    B64_TEST = /[^A-Za-z0-9\+\/\=]/g,
    B64_REPLACE = /[^A-Za-z0-9\+\/]/g;

var b64_encode = function (numbrs, line, safe, pad) {
    var table, ret = [], b1, b2, b3, e1, e2, e3, e4, i = 0;
    if (typeof line === 'object') {
        safe = line.safe;
        pad = line.pad;
        line = line.line;
    }
    if (safe === true) {
        table = B64_URL;
    } else {
        table = B64;
    }
    while (i < numbrs.length) {

        if ((i > 0) && (line !== undefined) && ((i % line) === 0)) {
            ret.push('\n');
        }

        b1 = numbrs[i++];
        b2 = numbrs[i++];
        b3 = numbrs[i++];

        e1 = b1 >> 2;
        e2 = ((b1 & 3) << 4) | (b2 >> 4);
        e3 = ((b2 & 15) << 2) | (b3 >> 6);
        e4 = b3 & 63;

        ret.push(table.charAt(e1));
        ret.push(table.charAt(e2));
        if(b2 !== undefined)
        ret.push(table.charAt(e3));
        if(b3 !== undefined)
        ret.push(table.charAt(e4));

    }
    i = numbrs.length % 3;
    if (pad && i === 2) {
        ret.push('=');
    }
    if (pad && i === 1) {
        ret.push('==');
    }
    return ret.join("");
};

var b64_decode = function (input) {
    var output, output_len,
        chr1, chr2, chr3,
        enc1, enc2, enc3, enc4,
        i = 0,
        o = 0;

    if (B64_TEST.exec(input)) {
        throw new Error("invalid b64 input");
    }

    // remove all characters that are not A-Z, a-z, 0-9, +, /, or =
    input = input.replace(B64_REPLACE, "");
    output_len = Math.floor(input.length * 3 / 4);
    output = Buffer.alloc(output_len);

    do {
        enc1 = B64.indexOf(input.charAt(i++));
        enc2 = B64.indexOf(input.charAt(i++));
        enc3 = B64.indexOf(input.charAt(i++));
        enc4 = B64.indexOf(input.charAt(i++));

        chr1 = (enc1 << 2) | (enc2 >> 4);
        chr2 = ((enc2 & 15) << 4) | (enc3 >> 2);
        chr3 = ((enc3 & 3) << 6) | enc4;

        output[o++] = chr1;
        output[o++] = chr2;
        output[o++] = chr3;

    } while (i < input.length);

    return output;
};


module.exports.b64_encode = b64_encode;
module.exports.b64_decode = b64_decode;

},{"buffer":20}],59:[function(require,module,exports){
function invariant(value, text) {
  if(!value) {
    return new Error(text);
  }
  return Boolean(invariant);
}

module.exports = {
  invariant: invariant
}

},{}],60:[function(require,module,exports){
'use strict';

var lzmaDecoder = require('js-lzma')
var Buffer = require('buffer').Buffer;

var Stream = {
    inStream: function(data) {
        this.offset = 0;
        this.data = data;
        this.readByte = function() {
            return this.data[this.offset++];
        };
        this.readUInt32LE = function() {
            var res = this.data.readUInt32LE(this.offset);
            this.offset += 4;
            return res;
        }
        return this;
    },
    outStream: function(size) {
        this.offset = 0;
        this.data = Buffer.alloc(size);
        this.writeByte = function(value) {
            this.data[this.offset++] = value;
        };
        return this;
    }
};

function getVersion(data, dataLen) {
    var bytes = [0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x30];
    var xorStr = [0x0E8, 0x0D5, 1, 3, 0x0C3, 0x0C1, 0x83, 0x3D, 0x0B7, 0x0F0, 0x41, 5, 7, 0x72, 0x10, 0x0E8];

    var res = {'newFormat': false, 'nVer': -1, bRand: 0};

    if (dataLen < 77) {
        return res;
    }

    // the magic happens here...
    for (var count = 0; count < 10; count++) {
        if (((data[dataLen - 13 + count]) ^ (data[dataLen - 23 + count])) !== bytes[count]) {
            return res;
        }
    }

    res.newFormat = true;
    res.bRand = data[dataLen - 3];
    res.nVer = data[dataLen - 2] ^ data[dataLen - 25];

    return res;
};

function unobfuscate(packedXmlData) {
    var dataLen, unpackedSize, fileInfo;

    dataLen = packedXmlData.length;

    // check header
    if (packedXmlData.slice(0, 10).toString() !== "PACKED_XML") {
        throw Error("This is not PACKED_XML");
    }

    // get unpacked data size
    unpackedSize = packedXmlData.readUInt32LE(11);

    // get lzma obfuscation version
    fileInfo = getVersion(packedXmlData.slice(15), dataLen - 15);
    if (fileInfo.newFormat) {
        if (fileInfo.nVer === 1) {
            // fixing header
            var count1 = (dataLen - 28) > 1024 ? 512 : (dataLen - 28) / 2;
            for (var count = 0; count < count1; count++) {
                packedXmlData[15 + count] ^= packedXmlData[15 + dataLen - 28 - count1 + count] ^ fileInfo.bRand;
            }
        } else {
            throw Error("Unsupported PACKED_XML version: " + fileInfo.nVer);
        }
    } else {
        // xor first 160 bytes after header
        dataLen - 15 > 160 ? count1 = 160 : count1 = dataLen - 15;
        for (var count = 0; count < count1; count++) {
            packedXmlData[15 + count] ^= xorStr[count % 16];
        }
    }

    // cut header
    return packedXmlData.slice(16);
};

function unlzma(lzmaData) {
    var decoder, outSize, inStream, outStream;

    // construct input stream for LZMA decoder
    inStream = new Stream.inStream(lzmaData);

    // construct decoder and set properties from stream
    var decoder = new lzmaDecoder.Decoder();
    if (!decoder.setDecoderProperties(inStream)) {
        throw Error("Incorrect LZMA stream properties");
    }

    // data size from LZMA header
    outSize = inStream.readUInt32LE();

    // construct output stream and reserve space
    outStream = new Stream.outStream(outSize);

    // skip 4 zeroes...
    inStream.readUInt32LE();

    // actually decode
    if (!decoder.decode(inStream, outStream, outSize)) {
        throw Error("Error in LZMA data stream");
    };

    return outStream.data;
};

function unpack(data) {
    // try to unobfuscate LZMA data
    var lzmaData = unobfuscate(data);
    if (lzmaData === undefined) {
        throw Error("Error unobfuscating data");
    }

    // now decompress them and return result
    return unlzma(lzmaData);
}

module.exports.unpack = unpack;

},{"buffer":20,"js-lzma":68}],61:[function(require,module,exports){
'use strict;'

var Buffer = require('buffer').Buffer;
var b64_decode = require('./base64.js').b64_decode;
var b64_encode = require('../util/base64.js').b64_encode;

var is_pem = function (indata) {
    if (indata.constructor === Uint8Array || Buffer.isBuffer(indata)) {
        if ((indata[0] === 0x2D) &&
                (indata[1] === 0x2D) &&
                (indata[2] === 0x2D) &&
                (indata[3] === 0x2D) &&
                (indata[4] === 0x2D)) {
            return true;
        }
    }
    if ((typeof indata) === 'string') {
        return indata.indexOf('-----') === 0;
    }
};

var from_pem = function (indata) {
    var start, end, ln;
    if ((typeof indata) !== 'string') {
        indata = String.fromCharCode.apply(null, indata);
    }
    indata = indata.split('\n');
    for (start = 0; start < indata.length; start++) {
        ln = indata[start];
        if (ln.indexOf('-----') === 0) {
            start++;
            break;
        }
    }

    for (end = 1; end <= indata.length; end++) {
        ln = indata[indata.length - end];
        if (ln.indexOf('-----') === 0) {
            break;
        }
    }

    indata = indata.slice(start, -end).join('');
    return b64_decode(indata);
};

var maybe_pem = function (indata) {
    if (is_pem(indata)) {
        return from_pem(indata);
    } 
        
    return indata;
};

var to_pem = function (data, desc) {
    var begin, end;
    if (desc === undefined) {
        desc = 'PRIVATE KEY';
    }
    begin = '-----BEGIN ' + desc + '-----';
    end = '-----END ' + desc + '-----';

    return [begin, b64_encode(data, {line: 16, pad: true}), end].join('\n');
};

module.exports = {
    from_pem: from_pem,
    is_pem: is_pem,
    maybe_pem: maybe_pem,
    to_pem: to_pem,
};

},{"../util/base64.js":58,"./base64.js":58,"buffer":20}],62:[function(require,module,exports){
const asn1 = require("asn1.js");

function encodeUtf8Str(input, encoder) {
  const UTF8STR = asn1.define("UTF8STR", function UTF8STR() {
    this.utf8str();
  });
  return UTF8STR.encode(input, encoder);
}

function str(input) {
  const STR = asn1.define("STR", function STR() {
    this.octstr();
  });
  return STR.encode(input, "der");
}

module.exports = { str, encodeUtf8Str };

},{"asn1.js":2}],63:[function(require,module,exports){
const Buffer = require("buffer").Buffer;
const packed_xml = require("./packed_xml.js");
const b64_decode = require("./base64.js").b64_decode;
const invariant = require("./invariant.js").invariant;

// Regexp to find a pair of HTML tags.
// [\s\S] inside a tag matches all white-space characters + all non-whitespace
// characters, which gives us all characters including newline.
// The standard dot (.) does not match newline, and there is no 's' flag in JS
const regexp = new RegExp("<([\\w][\\w\\d]*)([^>]*)>([\\s\\S]*?)</\\1>", "g");

function U32(number) {
  const ret = Buffer.alloc(4);
  ret.writeUInt32LE(number);
  return ret;
}

function write_buf(buf, data) {
  invariant(data.length > 0, "Attempt to write empty buffer");
  invariant(Buffer.isBuffer(buf), "First argument should be buffer");
  invariant(
    Buffer.isBuffer(data) || typeof data === "string",
    "Second argument should be buffer or string"
  );

  return Buffer.concat([
    buf,
    typeof data === "string" ? Buffer.from(data, "binary") : data
  ]);
}

function transport_header(rb, headers) {
  rb = write_buf(rb, "TRANSPORTABLE\u0000");
  let h_buf = Buffer.alloc(0);
  Object.entries(headers).forEach(function([key, value]) {
    h_buf = write_buf(h_buf, key);
    h_buf = write_buf(h_buf, "=");
    h_buf = write_buf(h_buf, value);
    h_buf = write_buf(h_buf, "\r\n");
  });
  h_buf = write_buf(h_buf, "\u0000");
  rb = write_buf(rb, U32(h_buf.length));
  rb = write_buf(rb, h_buf);
  return rb;
}

function transport_encode(documents, headers) {
  let rb = Buffer.alloc(0);

  rb = headers ? transport_header(rb, headers) : rb;

  documents.forEach(function(el) {
    rb = write_buf(rb, el.type);
    rb = write_buf(rb, "\u0000");
    rb = write_buf(rb, U32(el.contents.length));
    rb = write_buf(rb, el.contents);
  });
  return rb;
}

var header_decode = function(buffer) {
  var ret = {};
  var key, val;
  var idx = 0;
  var st = idx;
  while (buffer[idx]) {
    if (buffer[idx] === 0x3d) {
      key = buffer.slice(st, idx).toString();
      st = idx + 1;
    }
    if (buffer[idx] === 0x0a && buffer[idx - 1] === 0x0d) {
      val = buffer.slice(st, idx - 1);
      ret[key] = val.toString("binary");
      st = idx + 1;
    }
    idx++;
  }
  return ret;
};

var qlb_split = function(buffer, print) {
  var off = 0;
  var ret = { data: [], hash: [] };
  var clen;
  var prev;

  while (off < buffer.length) {
    if (buffer[off] === 2) {
      off++;
      clen = buffer.readUInt32LE(off);
      off += 4;
      if (clen > 0) {
        ret.data.push(buffer.slice(off, off + clen));
        prev = "data";
      } else {
        prev = "zero";
      }
      off += clen;
    } else if (buffer[off] === 0x20) {
      off++;
      clen = 0x20;

      ret.hash.push(buffer.slice(off, off + clen));

      off += clen;
      prev = "hash";
    } else if (buffer.readUInt32BE(off) === 0) {
      off += 4;
      prev = "zero";
    } else if (prev !== undefined) {
      clen = buffer.readUInt32LE(off);
      off += 4;
      ret.data.push(buffer.slice(off, off + clen));

      off += clen;
      prev = "data";
    } else {
      throw new Error("Unable to split QLB");
    }
  }

  return ret;
};

var decode_packed_xml_contents = function(xmlBuf) {
  var el, partName;
  var res = [];
  var rootElement, childElement;

  if (xmlBuf.slice(0, 5).toString() !== "<?xml") {
    throw Error("This is not XML");
  }

  // first find root tag
  rootElement = regexp.exec(xmlBuf.toString());
  if (rootElement === null) {
    throw Error("Invalid XML data - cannot find root element");
  }
  if (rootElement.length < 4) {
    throw Error("Invalid XML data - cannot process root element");
  }

  // now go through it's elements
  regexp.lastIndex = 0;
  while ((childElement = regexp.exec(rootElement[3])) !== null) {
    if (childElement.length < 4) {
      continue;
    }
    partName = childElement[1] + childElement[2];
    res.push({ name: partName, content: b64_decode(childElement[3]) });
  }

  return res;
};

var transport_decode = function(buffer) {
  var ret = { docs: [] };
  var off = 0;
  var section = 0;
  var label;
  var clen;
  var ct;

  while (off < buffer.length) {
    if (buffer.slice(0, 10).toString() === "PACKED_XML") {
      try {
        ct = packed_xml.unpack(buffer);
        ct = decode_packed_xml_contents(ct);
      } catch (e) {
        // let the user know that something wrong,
        // as exception will be eaten later...
        console.error(e.message);
        throw e;
      }
      ret.header = {};
      while (ct.length > 0) {
        var doc = ct.shift();
        if (doc.name === "DOCUMENT") {
          ret.docs.push({
            type: doc.name,
            contents: doc.content,
            encoding: "PACKED_XML_DOCUMENT"
          });
        } else {
          ret.header[doc.name] = doc.content;
        }
      }
      break;
    }

    while (buffer[off] && off - section < 20) {
      off++;
    }

    if (buffer[off] !== 0) {
      throw new Error("No label found");
    }

    label = buffer.slice(section, off).toString();
    if (label === "USC_SIGN" || label === "USC_CRYPT") {
      off++;
      section = off;
      continue;
    }
    clen = buffer[++off];
    clen |= buffer[++off] << 8;
    clen |= buffer[++off] << 16;
    clen |= buffer[++off] << 24;
    off++;
    if (clen < 0 || clen + off > buffer.length) {
      throw new Error("Invalid length of '" + label + "' section:" + clen);
    }

    if (label === "TRANSPORTABLE" || label === "ZPOSTTRANSPORTABLE") {
      ret.header = header_decode(buffer.slice(off, off + clen));
    } else if (label === "QLB_SIGN") {
      ct = qlb_split(buffer.slice(off, off + clen), off);
      ret.docs.push({ type: label, contents: ct.data[0], hash: ct.hash[0] });
      ret.docs.push({ type: "DATA", contents: ct.data[1] });
    } else if (label == "QLB_CRYPT") {
      ct = qlb_split(buffer.slice(off, off + clen), off);
      ret.docs.push({ type: "CERTCRYPT", contents: ct.data[0] });
      ret.docs.push({ type: label, contents: ct.data[1], hash: ct.hash[0] });
    } else {
      ret.docs.push({ type: label, contents: buffer.slice(off, off + clen) });
    }

    off += clen;
    section = off;
  }
  return ret;
};
module.exports = {
  encode: transport_encode,
  decode: transport_decode
};

},{"./base64.js":58,"./invariant.js":59,"./packed_xml.js":60,"buffer":20}],64:[function(require,module,exports){

const useContentTsp = value => ["all", "content"].includes(value);
const useSignatureTsp = value => ["all", "signature"].includes(value);

module.exports = {useContentTsp, useSignatureTsp};

},{}],65:[function(require,module,exports){
var mul = require('./mul.js'),
    wnaf = require('./wnaf.js');

module.exports = {
    precomp: mul.precomp,
    mulPos: mul.mulPos,
    getWindowSize: wnaf.getWindowSize,
    windowNaf: wnaf.windowNaf,
    compactNaf: wnaf.compactNaf,
}

},{"./mul.js":66,"./wnaf.js":67}],66:[function(require,module,exports){
var _wnaf = require('./wnaf.js'),
    getWindowSize = _wnaf.getWindowSize,
    windowNaf = _wnaf.windowNaf,
    bitLengths;

bitLengths = new Uint8Array([
    0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4,
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8
]);

var precomp = function (point, width) {
    var i, len_off, len, ret, rpos, rneg, twice;

    len_off = width - 2;

    if (len_off < 0 ) {
        len_off = 0;
    }

    len = 1 << len_off;
    rpos = point._precomp.pos;
    rneg = point._precomp.neg;
    i = rpos.length;

    if (!rneg[0]) {
        rneg[0] = point.negate();
    }

    if(len === 1) {
        return {
            pos: rpos,
            neg: rneg,
        };
    }

    twice = point._twice || (point._twice = point.twice());

    for (;i < len; i++) {
        rpos[i] = twice.add(rpos[i-1]);
        rneg[i] = rpos[i].negate();
    }

    return {
        pos: rpos,
        neg: rneg,
    };
};

var mulPos = function (point, big_k) {

    var width = getWindowSize(big_k.bitLength());
    width = Math.max(2, Math.min(16, width));

    var precomps = precomp(point, width);
    var ppos = precomps.pos;
    var pneg = precomps.neg;

    var wnaf = windowNaf(width, big_k);

    var R = point.Inf;

    var i = wnaf.length;

    /*
        * NOTE: We try to optimize the first window using the precomputed points to substitute an
        * addition for 2 or more doublings.
        */
    if (i > 1)
    {
        var wi = wnaf[--i];
        var digit = wi >> 16, zeroes = wi & 0xFFFF;

        var n = Math.abs(digit);
        var table = digit < 0 ? pneg : ppos;

        // Optimization can only be used for values in the lower half of the table
        if ((n << 2) < (1 << width))
        {
            var highest = bitLengths[n];

            // TODO Get addition/doubling cost ratio from curve and compare to 'scale' to see if worth substituting?
            var scale = width - highest;
            var lowBits =  n ^ (1 << (highest - 1));

            var i1 = ((1 << (width - 1)) - 1);
            var i2 = (lowBits << scale) + 1;
            R = table[i1 >>> 1].add(table[i2 >>> 1]);

            zeroes -= scale;

        }
        else
        {
            R = table[n >>> 1];
        }

        R = R.timesPow2(zeroes);
    }

    var wi, digit, n, table, r;
    while (i > 0)
    {
        wi = wnaf[--i];
        digit = wi >> 16, zeroes = wi & 0xFFFF;

        n = Math.abs(digit);
        table = digit < 0 ? pneg : ppos;
        r = table[n >>> 1];

        R = R.twicePlus(r);
        R = R.timesPow2(zeroes);
    }

    return R;
};

module.exports = {
    mulPos: mulPos,
    precomp: precomp,
};

},{"./wnaf.js":67}],67:[function(require,module,exports){
var shiftRight = require('../gf2m.js').shiftRight;

var DEFAULT_CUTOFFS = [
    13, 41, 121, 337, 897, 2305
];



var windowNaf = function (width, bigint) {
    var wnaf, ret_len;
    bigint = bigint.clone();

    if(width === 2) {
        return compactNaf(bigint);
    }

    ret_len = Math.floor(bigint.bitLength() / width + 1)
    wnaf = new Int32Array(ret_len);

    // 2^width and a masbigint and sign bit set accordingly
    var pow2 = 1 << width;
    var masbigint = pow2 - 1;
    var sign = pow2 >>> 1;

    var carry = false;
    var length = 0, pos = 0;
    var digit, zeroes;

    while (pos <= bigint.bitLength())
    {
        if (bigint.testBit(pos) === carry)
        {
            ++pos;
            continue;
        }

        bigint.shiftRightM(pos);

        digit = bigint.bytes[0] & masbigint;

        if (carry)
        {
            ++digit;
        }

        carry = (digit & sign) !== 0;
        if (carry)
        {
            digit -= pow2;
        }

        zeroes = length > 0 ? pos - 1 : pos;
        wnaf[length++] = (digit << 16) | zeroes;
        pos = width;
    }

    // Reduce the WNAF array to its actual length
    if (wnaf.length > length)
    {
        wnaf = wnaf.subarray(0, length);
    }

    return wnaf;
};

var compactNaf = function (k)
{
    if ((k.bitLength() >>> 16) != 0)
    {
        throw new Error("'k' must have bitlength < 2^16");
    }
    if (k.signum() == 0)
    {
        return new Int32Array(0);
    }

    var _3k = k.shiftLeft(1).add(k);
    var bits = _3k.bitLength();
    var naf = new Int32Array(bits >> 1);

    var diff = _3k.xor(k);

    var highBit = bits - 1, length = 0, zeroes = 0;
    var i, digit;
    for (i = 1; i < highBit; ++i)
    {
        if (!diff.testBit(i))
        {
            ++zeroes;
            continue;
        }

        digit  = k.testBit(i) ? -1 : 1;
        naf[length++] = (digit << 16) | zeroes;
        zeroes = 1;
        ++i;
    }

    naf[length++] = (1 << 16) | zeroes;

    if (naf.length > length)
    {
        naf = naf.subarray(0, length);
    }

    return naf;
};

var _getWindowSize = function (bits, cutoffs) {
    var i, cuts = cutoffs.length;

    for (i=0; i < cuts; ++i) {
        if (bits < cutoffs[i]) {
            break;
        }
    }

    return i + 2;
};

var getWindowSize = function(bits) {
    return _getWindowSize(bits, DEFAULT_CUTOFFS);
};

module.exports = {
    getWindowSize: getWindowSize,
    windowNaf: windowNaf,
    compactNaf: compactNaf
};

},{"../gf2m.js":36}],68:[function(require,module,exports){
/*
Copyright (c) 2011 Juan Mellado

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
*/

/*
References:
- "LZMA SDK" by Igor Pavlov
  http://www.7-zip.org/sdk.html
*/

var LZMA = LZMA || {};

LZMA.OutWindow = function(){
  this._windowSize = 0;
};

LZMA.OutWindow.prototype.create = function(windowSize){
  if ( (!this._buffer) || (this._windowSize !== windowSize) ){
    this._buffer = [];
  }
  this._windowSize = windowSize;
  this._pos = 0;
  this._streamPos = 0;
};

LZMA.OutWindow.prototype.flush = function(){
  var size = this._pos - this._streamPos;
  if (size !== 0){
    while(size --){
      this._stream.writeByte(this._buffer[this._streamPos ++]);
    }
    if (this._pos >= this._windowSize){
      this._pos = 0;
    }
    this._streamPos = this._pos;
  }
};

LZMA.OutWindow.prototype.releaseStream = function(){
  this.flush();
  this._stream = null;
};

LZMA.OutWindow.prototype.setStream = function(stream){
  this.releaseStream();
  this._stream = stream;
};

LZMA.OutWindow.prototype.init = function(solid){
  if (!solid){
    this._streamPos = 0;
    this._pos = 0;
  }
};

LZMA.OutWindow.prototype.copyBlock = function(distance, len){
  var pos = this._pos - distance - 1;
  if (pos < 0){
    pos += this._windowSize;
  }
  while(len --){
    if (pos >= this._windowSize){
      pos = 0;
    }
    this._buffer[this._pos ++] = this._buffer[pos ++];
    if (this._pos >= this._windowSize){
      this.flush();
    }
  }
};

LZMA.OutWindow.prototype.putByte = function(b){
  this._buffer[this._pos ++] = b;
  if (this._pos >= this._windowSize){
    this.flush();
  }
};

LZMA.OutWindow.prototype.getByte = function(distance){
  var pos = this._pos - distance - 1;
  if (pos < 0){
    pos += this._windowSize;
  }
  return this._buffer[pos];
};

LZMA.RangeDecoder = function(){
};

LZMA.RangeDecoder.prototype.setStream = function(stream){
  this._stream = stream;
};

LZMA.RangeDecoder.prototype.releaseStream = function(){
  this._stream = null;
};

LZMA.RangeDecoder.prototype.init = function(){
  var i = 5;

  this._code = 0;
  this._range = -1;
  
  while(i --){
    this._code = (this._code << 8) | this._stream.readByte();
  }
};

LZMA.RangeDecoder.prototype.decodeDirectBits = function(numTotalBits){
  var result = 0, i = numTotalBits, t;

  while(i --){
    this._range >>>= 1;
    t = (this._code - this._range) >>> 31;
    this._code -= this._range & (t - 1);
    result = (result << 1) | (1 - t);

    if ( (this._range & 0xff000000) === 0){
      this._code = (this._code << 8) | this._stream.readByte();
      this._range <<= 8;
    }
  }

  return result;
};

LZMA.RangeDecoder.prototype.decodeBit = function(probs, index){
  var prob = probs[index],
      newBound = (this._range >>> 11) * prob;

  if ( (this._code ^ 0x80000000) < (newBound ^ 0x80000000) ){
    this._range = newBound;
    probs[index] += (2048 - prob) >>> 5;
    if ( (this._range & 0xff000000) === 0){
      this._code = (this._code << 8) | this._stream.readByte();
      this._range <<= 8;
    }
    return 0;
  }

  this._range -= newBound;
  this._code -= newBound;
  probs[index] -= prob >>> 5;
  if ( (this._range & 0xff000000) === 0){
    this._code = (this._code << 8) | this._stream.readByte();
    this._range <<= 8;
  }
  return 1;
};

LZMA.initBitModels = function(probs, len){
  while(len --){
    probs[len] = 1024;
  }
};

LZMA.BitTreeDecoder = function(numBitLevels){
  this._models = [];
  this._numBitLevels = numBitLevels;
};

LZMA.BitTreeDecoder.prototype.init = function(){
  LZMA.initBitModels(this._models, 1 << this._numBitLevels);
};

LZMA.BitTreeDecoder.prototype.decode = function(rangeDecoder){
  var m = 1, i = this._numBitLevels;

  while(i --){
    m = (m << 1) | rangeDecoder.decodeBit(this._models, m);
  }
  return m - (1 << this._numBitLevels);
};

LZMA.BitTreeDecoder.prototype.reverseDecode = function(rangeDecoder){
  var m = 1, symbol = 0, i = 0, bit;

  for (; i < this._numBitLevels; ++ i){
    bit = rangeDecoder.decodeBit(this._models, m);
    m = (m << 1) | bit;
    symbol |= bit << i;
  }
  return symbol;
};

LZMA.reverseDecode2 = function(models, startIndex, rangeDecoder, numBitLevels){
  var m = 1, symbol = 0, i = 0, bit;

  for (; i < numBitLevels; ++ i){
    bit = rangeDecoder.decodeBit(models, startIndex + m);
    m = (m << 1) | bit;
    symbol |= bit << i;
  }
  return symbol;
};

LZMA.LenDecoder = function(){
  this._choice = [];
  this._lowCoder = [];
  this._midCoder = [];
  this._highCoder = new LZMA.BitTreeDecoder(8);
  this._numPosStates = 0;
};

LZMA.LenDecoder.prototype.create = function(numPosStates){
  for (; this._numPosStates < numPosStates; ++ this._numPosStates){
    this._lowCoder[this._numPosStates] = new LZMA.BitTreeDecoder(3);
    this._midCoder[this._numPosStates] = new LZMA.BitTreeDecoder(3);
  }
};

LZMA.LenDecoder.prototype.init = function(){
  var i = this._numPosStates;
  LZMA.initBitModels(this._choice, 2);
  while(i --){
    this._lowCoder[i].init();
    this._midCoder[i].init();
  }
  this._highCoder.init();
};

LZMA.LenDecoder.prototype.decode = function(rangeDecoder, posState){
  if (rangeDecoder.decodeBit(this._choice, 0) === 0){
    return this._lowCoder[posState].decode(rangeDecoder);
  }
  if (rangeDecoder.decodeBit(this._choice, 1) === 0){
    return 8 + this._midCoder[posState].decode(rangeDecoder);
  }
  return 16 + this._highCoder.decode(rangeDecoder);
};

LZMA.Decoder2 = function(){
  this._decoders = [];
};

LZMA.Decoder2.prototype.init = function(){
  LZMA.initBitModels(this._decoders, 0x300);
};

LZMA.Decoder2.prototype.decodeNormal = function(rangeDecoder){
  var symbol = 1;

  do{
    symbol = (symbol << 1) | rangeDecoder.decodeBit(this._decoders, symbol);
  }while(symbol < 0x100);

  return symbol & 0xff;
};

LZMA.Decoder2.prototype.decodeWithMatchByte = function(rangeDecoder, matchByte){
  var symbol = 1, matchBit, bit;

  do{
    matchBit = (matchByte >> 7) & 1;
    matchByte <<= 1;
    bit = rangeDecoder.decodeBit(this._decoders, ( (1 + matchBit) << 8) + symbol);
    symbol = (symbol << 1) | bit;
    if (matchBit !== bit){
      while(symbol < 0x100){
        symbol = (symbol << 1) | rangeDecoder.decodeBit(this._decoders, symbol);
      }
      break;
    }
  }while(symbol < 0x100);

  return symbol & 0xff;
};

LZMA.LiteralDecoder = function(){
};

LZMA.LiteralDecoder.prototype.create = function(numPosBits, numPrevBits){
  var i;

  if (this._coders
    && (this._numPrevBits === numPrevBits)
    && (this._numPosBits === numPosBits) ){
    return;
  }
  this._numPosBits = numPosBits;
  this._posMask = (1 << numPosBits) - 1;
  this._numPrevBits = numPrevBits;

  this._coders = [];

  i = 1 << (this._numPrevBits + this._numPosBits);
  while(i --){
    this._coders[i] = new LZMA.Decoder2();
  }
};

LZMA.LiteralDecoder.prototype.init = function(){
  var i = 1 << (this._numPrevBits + this._numPosBits);
  while(i --){
    this._coders[i].init();
  }
};

LZMA.LiteralDecoder.prototype.getDecoder = function(pos, prevByte){
  return this._coders[( (pos & this._posMask) << this._numPrevBits)
    + ( (prevByte & 0xff) >>> (8 - this._numPrevBits) )];
};

LZMA.Decoder = function(){
  this._outWindow = new LZMA.OutWindow();
  this._rangeDecoder = new LZMA.RangeDecoder();
  this._isMatchDecoders = [];
  this._isRepDecoders = [];
  this._isRepG0Decoders = [];
  this._isRepG1Decoders = [];
  this._isRepG2Decoders = [];
  this._isRep0LongDecoders = [];
  this._posSlotDecoder = [];
  this._posDecoders = [];
  this._posAlignDecoder = new LZMA.BitTreeDecoder(4);
  this._lenDecoder = new LZMA.LenDecoder();
  this._repLenDecoder = new LZMA.LenDecoder();
  this._literalDecoder = new LZMA.LiteralDecoder();
  this._dictionarySize = -1;
  this._dictionarySizeCheck = -1;

  this._posSlotDecoder[0] = new LZMA.BitTreeDecoder(6);
  this._posSlotDecoder[1] = new LZMA.BitTreeDecoder(6);
  this._posSlotDecoder[2] = new LZMA.BitTreeDecoder(6);
  this._posSlotDecoder[3] = new LZMA.BitTreeDecoder(6);
};

LZMA.Decoder.prototype.setDictionarySize = function(dictionarySize){
  if (dictionarySize < 0){
    return false;
  }
  if (this._dictionarySize !== dictionarySize){
    this._dictionarySize = dictionarySize;
    this._dictionarySizeCheck = Math.max(this._dictionarySize, 1);
    this._outWindow.create( Math.max(this._dictionarySizeCheck, 4096) );
  }
  return true;
};

LZMA.Decoder.prototype.setLcLpPb = function(lc, lp, pb){
  var numPosStates = 1 << pb;

  if (lc > 8 || lp > 4 || pb > 4){
    return false;
  }

  this._literalDecoder.create(lp, lc);

  this._lenDecoder.create(numPosStates);
  this._repLenDecoder.create(numPosStates);
  this._posStateMask = numPosStates - 1;

  return true;
};

LZMA.Decoder.prototype.init = function(){
  var i = 4;

  this._outWindow.init(false);

  LZMA.initBitModels(this._isMatchDecoders, 192);
  LZMA.initBitModels(this._isRep0LongDecoders, 192);
  LZMA.initBitModels(this._isRepDecoders, 12);
  LZMA.initBitModels(this._isRepG0Decoders, 12);
  LZMA.initBitModels(this._isRepG1Decoders, 12);
  LZMA.initBitModels(this._isRepG2Decoders, 12);
  LZMA.initBitModels(this._posDecoders, 114);

  this._literalDecoder.init();

  while(i --){
    this._posSlotDecoder[i].init();
  }

  this._lenDecoder.init();
  this._repLenDecoder.init();
  this._posAlignDecoder.init();
  this._rangeDecoder.init();
};

LZMA.Decoder.prototype.decode = function(inStream, outStream, outSize){
  var state = 0, rep0 = 0, rep1 = 0, rep2 = 0, rep3 = 0, nowPos64 = 0, prevByte = 0,
      posState, decoder2, len, distance, posSlot, numDirectBits;

  this._rangeDecoder.setStream(inStream);
  this._outWindow.setStream(outStream);

  this.init();

  while(outSize < 0 || nowPos64 < outSize){
    posState = nowPos64 & this._posStateMask;

    if (this._rangeDecoder.decodeBit(this._isMatchDecoders, (state << 4) + posState) === 0){
      decoder2 = this._literalDecoder.getDecoder(nowPos64 ++, prevByte);

      if (state >= 7){
        prevByte = decoder2.decodeWithMatchByte(this._rangeDecoder, this._outWindow.getByte(rep0) );
      }else{
        prevByte = decoder2.decodeNormal(this._rangeDecoder);
      }
      this._outWindow.putByte(prevByte);

      state = state < 4? 0: state - (state < 10? 3: 6);

    }else{

      if (this._rangeDecoder.decodeBit(this._isRepDecoders, state) === 1){
        len = 0;
        if (this._rangeDecoder.decodeBit(this._isRepG0Decoders, state) === 0){
          if (this._rangeDecoder.decodeBit(this._isRep0LongDecoders, (state << 4) + posState) === 0){
            state = state < 7? 9: 11;
            len = 1;
          }
        }else{
          if (this._rangeDecoder.decodeBit(this._isRepG1Decoders, state) === 0){
            distance = rep1;
          }else{
            if (this._rangeDecoder.decodeBit(this._isRepG2Decoders, state) === 0){
              distance = rep2;
            }else{
              distance = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = distance;
        }
        if (len === 0){
          len = 2 + this._repLenDecoder.decode(this._rangeDecoder, posState);
          state = state < 7? 8: 11;
        }
      }else{
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;

        len = 2 + this._lenDecoder.decode(this._rangeDecoder, posState);
        state = state < 7? 7: 10;

        posSlot = this._posSlotDecoder[len <= 5? len - 2: 3].decode(this._rangeDecoder);
        if (posSlot >= 4){

          numDirectBits = (posSlot >> 1) - 1;
          rep0 = (2 | (posSlot & 1) ) << numDirectBits;

          if (posSlot < 14){
            rep0 += LZMA.reverseDecode2(this._posDecoders,
                rep0 - posSlot - 1, this._rangeDecoder, numDirectBits);
          }else{
            rep0 += this._rangeDecoder.decodeDirectBits(numDirectBits - 4) << 4;
            rep0 += this._posAlignDecoder.reverseDecode(this._rangeDecoder);
            if (rep0 < 0){
              if (rep0 === -1){
                break;
              }
              return false;
            }
          }
        }else{
          rep0 = posSlot;
        }
      }

      if (rep0 >= nowPos64 || rep0 >= this._dictionarySizeCheck){
        return false;
      }

      this._outWindow.copyBlock(rep0, len);
      nowPos64 += len;
      prevByte = this._outWindow.getByte(0);
    }
  }

  this._outWindow.flush();
  this._outWindow.releaseStream();
  this._rangeDecoder.releaseStream();

  return true;
};

LZMA.Decoder.prototype.setDecoderProperties = function(properties){
  var value, lc, lp, pb, dictionarySize;

  if (properties.size < 5){
    return false;
  }

  value = properties.readByte();
  lc = value % 9;
  value = ~~(value / 9);
  lp = value % 5;
  pb = ~~(value / 5);

  if ( !this.setLcLpPb(lc, lp, pb) ){
    return false;
  }

  dictionarySize = properties.readByte();
  dictionarySize |= properties.readByte() << 8;
  dictionarySize |= properties.readByte() << 16;
  dictionarySize += properties.readByte() * 16777216;

  return this.setDictionarySize(dictionarySize);
};

LZMA.decompress = function(properties, inStream, outStream, outSize){
  var decoder = new LZMA.Decoder();

  if ( !decoder.setDecoderProperties(properties) ){
    throw "Incorrect stream properties";
  }

  if ( !decoder.decode(inStream, outStream, outSize) ){
    throw "Error in data stream";
  }

  return true;
};

LZMA.decompressFile = function(inStream, outStream){
  var decoder = new LZMA.Decoder(), outSize;

  if ( !decoder.setDecoderProperties(inStream) ){
    throw "Incorrect stream properties";
  }

  outSize = inStream.readByte();
  outSize |= inStream.readByte() << 8;
  outSize |= inStream.readByte() << 16;
  outSize += inStream.readByte() * 16777216;

  inStream.readByte();
  inStream.readByte();
  inStream.readByte();
  inStream.readByte();

  if ( !decoder.decode(inStream, outStream, outSize) ){
    throw "Error in data stream";
  }

  return true;
};

module.exports = LZMA;

},{}],69:[function(require,module,exports){
(function (process,global){(function (){
/*
 * [js-sha1]{@link https://github.com/emn178/js-sha1}
 *
 * @version 0.6.0
 * @author Chen, Yi-Cyuan [emn178@gmail.com]
 * @copyright Chen, Yi-Cyuan 2014-2017
 * @license MIT
 */
/*jslint bitwise: true */
(function() {
  'use strict';

  var root = typeof window === 'object' ? window : {};
  var NODE_JS = !root.JS_SHA1_NO_NODE_JS && typeof process === 'object' && process.versions && process.versions.node;
  if (NODE_JS) {
    root = global;
  }
  var COMMON_JS = !root.JS_SHA1_NO_COMMON_JS && typeof module === 'object' && module.exports;
  var AMD = typeof define === 'function' && define.amd;
  var HEX_CHARS = '0123456789abcdef'.split('');
  var EXTRA = [-2147483648, 8388608, 32768, 128];
  var SHIFT = [24, 16, 8, 0];
  var OUTPUT_TYPES = ['hex', 'array', 'digest', 'arrayBuffer'];

  var blocks = [];

  var createOutputMethod = function (outputType) {
    return function (message) {
      return new Sha1(true).update(message)[outputType]();
    };
  };

  var createMethod = function () {
    var method = createOutputMethod('hex');
    if (NODE_JS) {
      method = nodeWrap(method);
    }
    method.create = function () {
      return new Sha1();
    };
    method.update = function (message) {
      return method.create().update(message);
    };
    for (var i = 0; i < OUTPUT_TYPES.length; ++i) {
      var type = OUTPUT_TYPES[i];
      method[type] = createOutputMethod(type);
    }
    return method;
  };

  var nodeWrap = function (method) {
    var crypto = eval("require('crypto')");
    var Buffer = eval("require('buffer').Buffer");
    var nodeMethod = function (message) {
      if (typeof message === 'string') {
        return crypto.createHash('sha1').update(message, 'utf8').digest('hex');
      } else if (message.constructor === ArrayBuffer) {
        message = new Uint8Array(message);
      } else if (message.length === undefined) {
        return method(message);
      }
      return crypto.createHash('sha1').update(new Buffer(message)).digest('hex');
    };
    return nodeMethod;
  };

  function Sha1(sharedMemory) {
    if (sharedMemory) {
      blocks[0] = blocks[16] = blocks[1] = blocks[2] = blocks[3] =
      blocks[4] = blocks[5] = blocks[6] = blocks[7] =
      blocks[8] = blocks[9] = blocks[10] = blocks[11] =
      blocks[12] = blocks[13] = blocks[14] = blocks[15] = 0;
      this.blocks = blocks;
    } else {
      this.blocks = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    }

    this.h0 = 0x67452301;
    this.h1 = 0xEFCDAB89;
    this.h2 = 0x98BADCFE;
    this.h3 = 0x10325476;
    this.h4 = 0xC3D2E1F0;

    this.block = this.start = this.bytes = this.hBytes = 0;
    this.finalized = this.hashed = false;
    this.first = true;
  }

  Sha1.prototype.update = function (message) {
    if (this.finalized) {
      return;
    }
    var notString = typeof(message) !== 'string';
    if (notString && message.constructor === root.ArrayBuffer) {
      message = new Uint8Array(message);
    }
    var code, index = 0, i, length = message.length || 0, blocks = this.blocks;

    while (index < length) {
      if (this.hashed) {
        this.hashed = false;
        blocks[0] = this.block;
        blocks[16] = blocks[1] = blocks[2] = blocks[3] =
        blocks[4] = blocks[5] = blocks[6] = blocks[7] =
        blocks[8] = blocks[9] = blocks[10] = blocks[11] =
        blocks[12] = blocks[13] = blocks[14] = blocks[15] = 0;
      }

      if(notString) {
        for (i = this.start; index < length && i < 64; ++index) {
          blocks[i >> 2] |= message[index] << SHIFT[i++ & 3];
        }
      } else {
        for (i = this.start; index < length && i < 64; ++index) {
          code = message.charCodeAt(index);
          if (code < 0x80) {
            blocks[i >> 2] |= code << SHIFT[i++ & 3];
          } else if (code < 0x800) {
            blocks[i >> 2] |= (0xc0 | (code >> 6)) << SHIFT[i++ & 3];
            blocks[i >> 2] |= (0x80 | (code & 0x3f)) << SHIFT[i++ & 3];
          } else if (code < 0xd800 || code >= 0xe000) {
            blocks[i >> 2] |= (0xe0 | (code >> 12)) << SHIFT[i++ & 3];
            blocks[i >> 2] |= (0x80 | ((code >> 6) & 0x3f)) << SHIFT[i++ & 3];
            blocks[i >> 2] |= (0x80 | (code & 0x3f)) << SHIFT[i++ & 3];
          } else {
            code = 0x10000 + (((code & 0x3ff) << 10) | (message.charCodeAt(++index) & 0x3ff));
            blocks[i >> 2] |= (0xf0 | (code >> 18)) << SHIFT[i++ & 3];
            blocks[i >> 2] |= (0x80 | ((code >> 12) & 0x3f)) << SHIFT[i++ & 3];
            blocks[i >> 2] |= (0x80 | ((code >> 6) & 0x3f)) << SHIFT[i++ & 3];
            blocks[i >> 2] |= (0x80 | (code & 0x3f)) << SHIFT[i++ & 3];
          }
        }
      }

      this.lastByteIndex = i;
      this.bytes += i - this.start;
      if (i >= 64) {
        this.block = blocks[16];
        this.start = i - 64;
        this.hash();
        this.hashed = true;
      } else {
        this.start = i;
      }
    }
    if (this.bytes > 4294967295) {
      this.hBytes += this.bytes / 4294967296 << 0;
      this.bytes = this.bytes % 4294967296;
    }
    return this;
  };

  Sha1.prototype.finalize = function () {
    if (this.finalized) {
      return;
    }
    this.finalized = true;
    var blocks = this.blocks, i = this.lastByteIndex;
    blocks[16] = this.block;
    blocks[i >> 2] |= EXTRA[i & 3];
    this.block = blocks[16];
    if (i >= 56) {
      if (!this.hashed) {
        this.hash();
      }
      blocks[0] = this.block;
      blocks[16] = blocks[1] = blocks[2] = blocks[3] =
      blocks[4] = blocks[5] = blocks[6] = blocks[7] =
      blocks[8] = blocks[9] = blocks[10] = blocks[11] =
      blocks[12] = blocks[13] = blocks[14] = blocks[15] = 0;
    }
    blocks[14] = this.hBytes << 3 | this.bytes >>> 29;
    blocks[15] = this.bytes << 3;
    this.hash();
  };

  Sha1.prototype.hash = function () {
    var a = this.h0, b = this.h1, c = this.h2, d = this.h3, e = this.h4;
    var f, j, t, blocks = this.blocks;

    for(j = 16; j < 80; ++j) {
      t = blocks[j - 3] ^ blocks[j - 8] ^ blocks[j - 14] ^ blocks[j - 16];
      blocks[j] =  (t << 1) | (t >>> 31);
    }

    for(j = 0; j < 20; j += 5) {
      f = (b & c) | ((~b) & d);
      t = (a << 5) | (a >>> 27);
      e = t + f + e + 1518500249 + blocks[j] << 0;
      b = (b << 30) | (b >>> 2);

      f = (a & b) | ((~a) & c);
      t = (e << 5) | (e >>> 27);
      d = t + f + d + 1518500249 + blocks[j + 1] << 0;
      a = (a << 30) | (a >>> 2);

      f = (e & a) | ((~e) & b);
      t = (d << 5) | (d >>> 27);
      c = t + f + c + 1518500249 + blocks[j + 2] << 0;
      e = (e << 30) | (e >>> 2);

      f = (d & e) | ((~d) & a);
      t = (c << 5) | (c >>> 27);
      b = t + f + b + 1518500249 + blocks[j + 3] << 0;
      d = (d << 30) | (d >>> 2);

      f = (c & d) | ((~c) & e);
      t = (b << 5) | (b >>> 27);
      a = t + f + a + 1518500249 + blocks[j + 4] << 0;
      c = (c << 30) | (c >>> 2);
    }

    for(; j < 40; j += 5) {
      f = b ^ c ^ d;
      t = (a << 5) | (a >>> 27);
      e = t + f + e + 1859775393 + blocks[j] << 0;
      b = (b << 30) | (b >>> 2);

      f = a ^ b ^ c;
      t = (e << 5) | (e >>> 27);
      d = t + f + d + 1859775393 + blocks[j + 1] << 0;
      a = (a << 30) | (a >>> 2);

      f = e ^ a ^ b;
      t = (d << 5) | (d >>> 27);
      c = t + f + c + 1859775393 + blocks[j + 2] << 0;
      e = (e << 30) | (e >>> 2);

      f = d ^ e ^ a;
      t = (c << 5) | (c >>> 27);
      b = t + f + b + 1859775393 + blocks[j + 3] << 0;
      d = (d << 30) | (d >>> 2);

      f = c ^ d ^ e;
      t = (b << 5) | (b >>> 27);
      a = t + f + a + 1859775393 + blocks[j + 4] << 0;
      c = (c << 30) | (c >>> 2);
    }

    for(; j < 60; j += 5) {
      f = (b & c) | (b & d) | (c & d);
      t = (a << 5) | (a >>> 27);
      e = t + f + e - 1894007588 + blocks[j] << 0;
      b = (b << 30) | (b >>> 2);

      f = (a & b) | (a & c) | (b & c);
      t = (e << 5) | (e >>> 27);
      d = t + f + d - 1894007588 + blocks[j + 1] << 0;
      a = (a << 30) | (a >>> 2);

      f = (e & a) | (e & b) | (a & b);
      t = (d << 5) | (d >>> 27);
      c = t + f + c - 1894007588 + blocks[j + 2] << 0;
      e = (e << 30) | (e >>> 2);

      f = (d & e) | (d & a) | (e & a);
      t = (c << 5) | (c >>> 27);
      b = t + f + b - 1894007588 + blocks[j + 3] << 0;
      d = (d << 30) | (d >>> 2);

      f = (c & d) | (c & e) | (d & e);
      t = (b << 5) | (b >>> 27);
      a = t + f + a - 1894007588 + blocks[j + 4] << 0;
      c = (c << 30) | (c >>> 2);
    }

    for(; j < 80; j += 5) {
      f = b ^ c ^ d;
      t = (a << 5) | (a >>> 27);
      e = t + f + e - 899497514 + blocks[j] << 0;
      b = (b << 30) | (b >>> 2);

      f = a ^ b ^ c;
      t = (e << 5) | (e >>> 27);
      d = t + f + d - 899497514 + blocks[j + 1] << 0;
      a = (a << 30) | (a >>> 2);

      f = e ^ a ^ b;
      t = (d << 5) | (d >>> 27);
      c = t + f + c - 899497514 + blocks[j + 2] << 0;
      e = (e << 30) | (e >>> 2);

      f = d ^ e ^ a;
      t = (c << 5) | (c >>> 27);
      b = t + f + b - 899497514 + blocks[j + 3] << 0;
      d = (d << 30) | (d >>> 2);

      f = c ^ d ^ e;
      t = (b << 5) | (b >>> 27);
      a = t + f + a - 899497514 + blocks[j + 4] << 0;
      c = (c << 30) | (c >>> 2);
    }

    this.h0 = this.h0 + a << 0;
    this.h1 = this.h1 + b << 0;
    this.h2 = this.h2 + c << 0;
    this.h3 = this.h3 + d << 0;
    this.h4 = this.h4 + e << 0;
  };

  Sha1.prototype.hex = function () {
    this.finalize();

    var h0 = this.h0, h1 = this.h1, h2 = this.h2, h3 = this.h3, h4 = this.h4;

    return HEX_CHARS[(h0 >> 28) & 0x0F] + HEX_CHARS[(h0 >> 24) & 0x0F] +
           HEX_CHARS[(h0 >> 20) & 0x0F] + HEX_CHARS[(h0 >> 16) & 0x0F] +
           HEX_CHARS[(h0 >> 12) & 0x0F] + HEX_CHARS[(h0 >> 8) & 0x0F] +
           HEX_CHARS[(h0 >> 4) & 0x0F] + HEX_CHARS[h0 & 0x0F] +
           HEX_CHARS[(h1 >> 28) & 0x0F] + HEX_CHARS[(h1 >> 24) & 0x0F] +
           HEX_CHARS[(h1 >> 20) & 0x0F] + HEX_CHARS[(h1 >> 16) & 0x0F] +
           HEX_CHARS[(h1 >> 12) & 0x0F] + HEX_CHARS[(h1 >> 8) & 0x0F] +
           HEX_CHARS[(h1 >> 4) & 0x0F] + HEX_CHARS[h1 & 0x0F] +
           HEX_CHARS[(h2 >> 28) & 0x0F] + HEX_CHARS[(h2 >> 24) & 0x0F] +
           HEX_CHARS[(h2 >> 20) & 0x0F] + HEX_CHARS[(h2 >> 16) & 0x0F] +
           HEX_CHARS[(h2 >> 12) & 0x0F] + HEX_CHARS[(h2 >> 8) & 0x0F] +
           HEX_CHARS[(h2 >> 4) & 0x0F] + HEX_CHARS[h2 & 0x0F] +
           HEX_CHARS[(h3 >> 28) & 0x0F] + HEX_CHARS[(h3 >> 24) & 0x0F] +
           HEX_CHARS[(h3 >> 20) & 0x0F] + HEX_CHARS[(h3 >> 16) & 0x0F] +
           HEX_CHARS[(h3 >> 12) & 0x0F] + HEX_CHARS[(h3 >> 8) & 0x0F] +
           HEX_CHARS[(h3 >> 4) & 0x0F] + HEX_CHARS[h3 & 0x0F] +
           HEX_CHARS[(h4 >> 28) & 0x0F] + HEX_CHARS[(h4 >> 24) & 0x0F] +
           HEX_CHARS[(h4 >> 20) & 0x0F] + HEX_CHARS[(h4 >> 16) & 0x0F] +
           HEX_CHARS[(h4 >> 12) & 0x0F] + HEX_CHARS[(h4 >> 8) & 0x0F] +
           HEX_CHARS[(h4 >> 4) & 0x0F] + HEX_CHARS[h4 & 0x0F];
  };

  Sha1.prototype.toString = Sha1.prototype.hex;

  Sha1.prototype.digest = function () {
    this.finalize();

    var h0 = this.h0, h1 = this.h1, h2 = this.h2, h3 = this.h3, h4 = this.h4;

    return [
      (h0 >> 24) & 0xFF, (h0 >> 16) & 0xFF, (h0 >> 8) & 0xFF, h0 & 0xFF,
      (h1 >> 24) & 0xFF, (h1 >> 16) & 0xFF, (h1 >> 8) & 0xFF, h1 & 0xFF,
      (h2 >> 24) & 0xFF, (h2 >> 16) & 0xFF, (h2 >> 8) & 0xFF, h2 & 0xFF,
      (h3 >> 24) & 0xFF, (h3 >> 16) & 0xFF, (h3 >> 8) & 0xFF, h3 & 0xFF,
      (h4 >> 24) & 0xFF, (h4 >> 16) & 0xFF, (h4 >> 8) & 0xFF, h4 & 0xFF
    ];
  };

  Sha1.prototype.array = Sha1.prototype.digest;

  Sha1.prototype.arrayBuffer = function () {
    this.finalize();

    var buffer = new ArrayBuffer(20);
    var dataView = new DataView(buffer);
    dataView.setUint32(0, this.h0);
    dataView.setUint32(4, this.h1);
    dataView.setUint32(8, this.h2);
    dataView.setUint32(12, this.h3);
    dataView.setUint32(16, this.h4);
    return buffer;
  };

  var exports = createMethod();

  if (COMMON_JS) {
    module.exports = exports;
  } else {
    root.sha1 = exports;
    if (AMD) {
      define(function () {
        return exports;
      });
    }
  }
})();

}).call(this)}).call(this,require('_process'),typeof global !== "undefined" ? global : typeof self !== "undefined" ? self : typeof window !== "undefined" ? window : {})
},{"_process":71}],70:[function(require,module,exports){
module.exports = assert;

function assert(val, msg) {
  if (!val)
    throw new Error(msg || 'Assertion failed');
}

assert.equal = function assertEqual(l, r, msg) {
  if (l != r)
    throw new Error(msg || ('Assertion failed: ' + l + ' != ' + r));
};

},{}],71:[function(require,module,exports){
// shim for using process in browser
var process = module.exports = {};

// cached from whatever global is present so that test runners that stub it
// don't break things.  But we need to wrap it in a try catch in case it is
// wrapped in strict mode code which doesn't define any globals.  It's inside a
// function because try/catches deoptimize in certain engines.

var cachedSetTimeout;
var cachedClearTimeout;

function defaultSetTimout() {
    throw new Error('setTimeout has not been defined');
}
function defaultClearTimeout () {
    throw new Error('clearTimeout has not been defined');
}
(function () {
    try {
        if (typeof setTimeout === 'function') {
            cachedSetTimeout = setTimeout;
        } else {
            cachedSetTimeout = defaultSetTimout;
        }
    } catch (e) {
        cachedSetTimeout = defaultSetTimout;
    }
    try {
        if (typeof clearTimeout === 'function') {
            cachedClearTimeout = clearTimeout;
        } else {
            cachedClearTimeout = defaultClearTimeout;
        }
    } catch (e) {
        cachedClearTimeout = defaultClearTimeout;
    }
} ())
function runTimeout(fun) {
    if (cachedSetTimeout === setTimeout) {
        //normal enviroments in sane situations
        return setTimeout(fun, 0);
    }
    // if setTimeout wasn't available but was latter defined
    if ((cachedSetTimeout === defaultSetTimout || !cachedSetTimeout) && setTimeout) {
        cachedSetTimeout = setTimeout;
        return setTimeout(fun, 0);
    }
    try {
        // when when somebody has screwed with setTimeout but no I.E. maddness
        return cachedSetTimeout(fun, 0);
    } catch(e){
        try {
            // When we are in I.E. but the script has been evaled so I.E. doesn't trust the global object when called normally
            return cachedSetTimeout.call(null, fun, 0);
        } catch(e){
            // same as above but when it's a version of I.E. that must have the global object for 'this', hopfully our context correct otherwise it will throw a global error
            return cachedSetTimeout.call(this, fun, 0);
        }
    }


}
function runClearTimeout(marker) {
    if (cachedClearTimeout === clearTimeout) {
        //normal enviroments in sane situations
        return clearTimeout(marker);
    }
    // if clearTimeout wasn't available but was latter defined
    if ((cachedClearTimeout === defaultClearTimeout || !cachedClearTimeout) && clearTimeout) {
        cachedClearTimeout = clearTimeout;
        return clearTimeout(marker);
    }
    try {
        // when when somebody has screwed with setTimeout but no I.E. maddness
        return cachedClearTimeout(marker);
    } catch (e){
        try {
            // When we are in I.E. but the script has been evaled so I.E. doesn't  trust the global object when called normally
            return cachedClearTimeout.call(null, marker);
        } catch (e){
            // same as above but when it's a version of I.E. that must have the global object for 'this', hopfully our context correct otherwise it will throw a global error.
            // Some versions of I.E. have different rules for clearTimeout vs setTimeout
            return cachedClearTimeout.call(this, marker);
        }
    }



}
var queue = [];
var draining = false;
var currentQueue;
var queueIndex = -1;

function cleanUpNextTick() {
    if (!draining || !currentQueue) {
        return;
    }
    draining = false;
    if (currentQueue.length) {
        queue = currentQueue.concat(queue);
    } else {
        queueIndex = -1;
    }
    if (queue.length) {
        drainQueue();
    }
}

function drainQueue() {
    if (draining) {
        return;
    }
    var timeout = runTimeout(cleanUpNextTick);
    draining = true;

    var len = queue.length;
    while(len) {
        currentQueue = queue;
        queue = [];
        while (++queueIndex < len) {
            if (currentQueue) {
                currentQueue[queueIndex].run();
            }
        }
        queueIndex = -1;
        len = queue.length;
    }
    currentQueue = null;
    draining = false;
    runClearTimeout(timeout);
}

process.nextTick = function (fun) {
    var args = new Array(arguments.length - 1);
    if (arguments.length > 1) {
        for (var i = 1; i < arguments.length; i++) {
            args[i - 1] = arguments[i];
        }
    }
    queue.push(new Item(fun, args));
    if (queue.length === 1 && !draining) {
        runTimeout(drainQueue);
    }
};

// v8 likes predictible objects
function Item(fun, array) {
    this.fun = fun;
    this.array = array;
}
Item.prototype.run = function () {
    this.fun.apply(null, this.array);
};
process.title = 'browser';
process.browser = true;
process.env = {};
process.argv = [];
process.version = ''; // empty string to avoid regexp issues
process.versions = {};

function noop() {}

process.on = noop;
process.addListener = noop;
process.once = noop;
process.off = noop;
process.removeListener = noop;
process.removeAllListeners = noop;
process.emit = noop;
process.prependListener = noop;
process.prependOnceListener = noop;

process.listeners = function (name) { return [] }

process.binding = function (name) {
    throw new Error('process.binding is not supported');
};

process.cwd = function () { return '/' };
process.chdir = function (dir) {
    throw new Error('process.chdir is not supported');
};
process.umask = function() { return 0; };

},{}],72:[function(require,module,exports){
var indexOf = function (xs, item) {
    if (xs.indexOf) return xs.indexOf(item);
    else for (var i = 0; i < xs.length; i++) {
        if (xs[i] === item) return i;
    }
    return -1;
};
var Object_keys = function (obj) {
    if (Object.keys) return Object.keys(obj)
    else {
        var res = [];
        for (var key in obj) res.push(key)
        return res;
    }
};

var forEach = function (xs, fn) {
    if (xs.forEach) return xs.forEach(fn)
    else for (var i = 0; i < xs.length; i++) {
        fn(xs[i], i, xs);
    }
};

var defineProp = (function() {
    try {
        Object.defineProperty({}, '_', {});
        return function(obj, name, value) {
            Object.defineProperty(obj, name, {
                writable: true,
                enumerable: false,
                configurable: true,
                value: value
            })
        };
    } catch(e) {
        return function(obj, name, value) {
            obj[name] = value;
        };
    }
}());

var globals = ['Array', 'Boolean', 'Date', 'Error', 'EvalError', 'Function',
'Infinity', 'JSON', 'Math', 'NaN', 'Number', 'Object', 'RangeError',
'ReferenceError', 'RegExp', 'String', 'SyntaxError', 'TypeError', 'URIError',
'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape',
'eval', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'undefined', 'unescape'];

function Context() {}
Context.prototype = {};

var Script = exports.Script = function NodeScript (code) {
    if (!(this instanceof Script)) return new Script(code);
    this.code = code;
};

Script.prototype.runInContext = function (context) {
    if (!(context instanceof Context)) {
        throw new TypeError("needs a 'context' argument.");
    }
    
    var iframe = document.createElement('iframe');
    if (!iframe.style) iframe.style = {};
    iframe.style.display = 'none';
    
    document.body.appendChild(iframe);
    
    var win = iframe.contentWindow;
    var wEval = win.eval, wExecScript = win.execScript;

    if (!wEval && wExecScript) {
        // win.eval() magically appears when this is called in IE:
        wExecScript.call(win, 'null');
        wEval = win.eval;
    }
    
    forEach(Object_keys(context), function (key) {
        win[key] = context[key];
    });
    forEach(globals, function (key) {
        if (context[key]) {
            win[key] = context[key];
        }
    });
    
    var winKeys = Object_keys(win);

    var res = wEval.call(win, this.code);
    
    forEach(Object_keys(win), function (key) {
        // Avoid copying circular objects like `top` and `window` by only
        // updating existing context properties or new properties in the `win`
        // that was only introduced after the eval.
        if (key in context || indexOf(winKeys, key) === -1) {
            context[key] = win[key];
        }
    });

    forEach(globals, function (key) {
        if (!(key in context)) {
            defineProp(context, key, win[key]);
        }
    });
    
    document.body.removeChild(iframe);
    
    return res;
};

Script.prototype.runInThisContext = function () {
    return eval(this.code); // maybe...
};

Script.prototype.runInNewContext = function (context) {
    var ctx = Script.createContext(context);
    var res = this.runInContext(ctx);

    if (context) {
        forEach(Object_keys(ctx), function (key) {
            context[key] = ctx[key];
        });
    }

    return res;
};

forEach(Object_keys(Script.prototype), function (name) {
    exports[name] = Script[name] = function (code) {
        var s = Script(code);
        return s[name].apply(s, [].slice.call(arguments, 1));
    };
});

exports.isContext = function (context) {
    return context instanceof Context;
};

exports.createScript = function (code) {
    return exports.Script(code);
};

exports.createContext = Script.createContext = function (context) {
    var copy = new Context();
    if(typeof context === 'object') {
        forEach(Object_keys(context), function (key) {
            copy[key] = context[key];
        });
    }
    return copy;
};

},{}]},{},[1])(1)
});
