/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yamljson: YAML 1.2 (and therefore JSON) text -> cJSON trees.
 *
 * Built on libyaml's event parser so that limits are enforced while the tree
 * is being built, not after an attacker-sized tree already exists.
 *
 * Ownership:
 *   - text is borrowed and only text[0, len) is read; it need not be
 *     NUL-terminated and may contain any bytes.
 *   - On success *out is a new tree owned by the caller (free it with
 *     cJSON_Delete()). On error *out is set to NULL and nothing is leaked.
 *   - err (may be NULL when errlen is 0) receives a one-line message,
 *     always NUL-terminated and truncated to errlen; it is set to "" on success.
 *
 * Return value: 0, or a negative errno value:
 *   -EINVAL  malformed YAML or a semantic error (duplicate key, undefined alias,
 *            non-scalar key, bad explicit tag value, NUL byte inside a scalar);
 *            the message starts with "line L column C: " (1-based).
 *   -ENOMEM  allocation failure.
 *   -E2BIG   a limit was hit: nesting deeper than YJ_MAX_DEPTH, more than
 *            YJ_MAX_NODES nodes produced (aliases included), more than
 *            YJ_MAX_ALIAS_BYTES of string data copied by aliases, or (file
 *            only) a file larger than YJ_MAX_FILE_SIZE.
 *   other    -errno from open/read in yj_parse_file().
 *
 * Conversion rules (YAML 1.2 core schema):
 *   - Only plain (unquoted) scalars are resolved: null/Null/NULL/~/empty ->
 *     null; true/True/TRUE/false/False/FALSE -> bool; [-+]?[0-9]+ (leading
 *     zeros are decimal: 0123 -> 123), 0x[0-9a-fA-F]+, 0o[0-7]+ -> number;
 *     [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)? -> number. Integers
 *     are stored as double by cJSON, so values beyond 2^53 lose precision.
 *     .inf/-.inf/.nan and floats that overflow stay strings (JSON has no
 *     representation for them). Everything else is a string, as is every
 *     quoted or block (| >) scalar.
 *   - Explicit tags: !!str (and the non-specific "!") force a string;
 *     !!int, !!float, !!bool, !!null force that type and a value that does
 *     not fit is -EINVAL. Other scalar tags and all collection tags are
 *     ignored (the node is resolved as if untagged).
 *   - Mapping keys are always strings (the key's source text, no type
 *     resolution); a sequence/mapping used as a key is -EINVAL; an alias may
 *     be a key only if it names a scalar. Duplicate keys are -EINVAL.
 *   - Anchors/aliases: an alias is a deep copy of the anchored node. An alias
 *     inside the node it names (a recursive structure) is -EINVAL. Anchors are
 *     scoped to their document; a redefined anchor replaces the earlier one.
 *   - The merge key "<<" gets no special treatment: it is an ordinary key.
 *   - Scalars containing a NUL byte (possible via "\0" escapes) are rejected
 *     because cJSON strings are NUL-terminated.
 */
#ifndef OKG_LIB_YAMLJSON_H
#define OKG_LIB_YAMLJSON_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define YJ_MAX_DEPTH	   128
#define YJ_MAX_NODES	   1000000
#define YJ_MAX_ALIAS_BYTES (64u * 1024u * 1024u)
#define YJ_MAX_FILE_SIZE   (4u * 1024u * 1024u)

/* Parses the first document of text[0, len). An empty stream or empty
 * document yields a cJSON null. Content after the first document that is not
 * a new document ("{a: 1}}") is -EINVAL; later documents are not examined. */
int yj_parse(const char *text, size_t len, cJSON **out, char *err, size_t errlen);

/* Parses every document of the stream into a new cJSON array, in order.
 * Documents with no content at all (e.g. "---\n---") are skipped; a document
 * that explicitly says null/~ is kept as a null element. Node limits apply
 * to the whole stream. */
int yj_parse_all(const char *text, size_t len, cJSON **out, char *err, size_t errlen);

/* Reads the file at path (at most YJ_MAX_FILE_SIZE bytes, -E2BIG beyond) and
 * parses its first document as yj_parse() does. Every error message starts
 * with "<path>: ". */
int yj_parse_file(const char *path, cJSON **out, char *err, size_t errlen);

#endif /* OKG_LIB_YAMLJSON_H */
