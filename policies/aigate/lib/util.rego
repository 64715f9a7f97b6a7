# METADATA
# title: Shared helpers for the built-in controls
# description: >-
#   Null-safe access to the input document, file checks against input.files, and the
#   organisation's policy data. Helpers never deny on their own.
package aigate.lib.util

import rego.v1

# The organisation's policy data (defaults merged with --data files by aigate).
default cfg := {}

cfg := data.aigate.config

# conf(path, fallback): a policy-data value, or fallback when the organisation did not set it.
conf(path, fallback) := object.get(cfg, path, fallback)

# m(path): a manifest value, or null when the manifest does not declare it.
m(path) := object.get(input, array.concat(["manifest"], path), null)

# present(key): evidence input.<key> was collected in this run (the key exists and is not null).
present(key) if object.get(input, key, null) != null

# declared(path): the manifest sets path to something other than null, "" or false.
declared(path) if {
	v := m(path)
	v != null
	v != ""
	v != false
}

# file_exists(p): input.files says p exists as a file or directory.
file_exists(p) if object.get(input, ["files", p, "exists"], false) == true

# missing_file(p): the manifest names p but it does not exist in the project.
missing_file(p) if {
	is_string(p)
	not file_exists(p)
}

# number_or(x, fallback): x when it is a number, else fallback (keeps comparisons total).
number_or(x, _) := x if is_number(x)

number_or(x, fallback) := fallback if not is_number(x)

# first_n(xs, n): the first n elements of an array, for bounded messages.
first_n(xs, n) := array.slice(xs, 0, n)

# say(template, args): sprintf that is safe on regopy 1.5.2. There, sprintf renders a string
# bound to a variable from a literal or produced by a builtin (concat, lower, object.get's
# default, ...) WITH its JSON quotes, and the unescaped quotes corrupt the engine's JSON output.
# substring(s, 0, -1) returns a plain string, so every string argument is passed through it
# first (not trim(s, ""): regopy re-reads backslash escapes in trim's result, which turned "C:\t"
# into a TAB and made "\x" fail the control with "Invalid escape sequence"; docs/engines.md).
# Controls build every message with say() (or concat), never with a bare sprintf.
# %s is read as %v: for strings both give the string on both engines, and for a value of another
# type (a wrong type in the input) %v agrees on both engines where %s does not (OPA: %!s(int64=7);
# regopy: "7", and "" or a truncated text for arrays and objects). Differential test, leaf mutations.
say(template, args) := sprintf(replace(template, "%s", "%v"), [unquoted(a) | some a in args])

# text(x): x when it is a string, else "" (for builtins that raise on another type, e.g. lower).
text(x) := x if is_string(x)

text(x) := "" if not is_string(x)

unquoted(a) := substring(a, 0, -1) if is_string(a)

unquoted(a) := a if not is_string(a)

# arr(path): a manifest array, or [] when it is missing or not an array.
arr(path) := v if {
	v := m(path)
	is_array(v)
} else := []

# get(x, path, fallback): object.get that tolerates a null or non-object x (a collector that did
# not run gives null; object.get on null is a type error on OPA, which fails the gate).
get(x, path, fallback) := object.get(x, path, fallback) if is_object(x)
else := fallback

# obj(path): a manifest object, or {} when it is missing or not an object.
obj(path) := v if {
	v := m(path)
	is_object(v)
} else := {}

# listing(shown, total): "a, b" plus " and N more" when total exceeds the names shown; callers
# build `shown` from first_n(...) so that large lists are never iterated in full.
listing(shown, total) := concat(", ", shown) if total <= count(shown)

listing(shown, total) := concat("", [concat(", ", shown), sprintf(" and %v more", [total - count(shown)])]) if total > count(shown)
