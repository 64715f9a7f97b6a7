# METADATA
# title: Model files carry no executable payload
# description: >-
#   Every pickle-based model artifact passes an allowlist-based opcode scan without being loaded;
#   formats that cannot carry code (safetensors, ONNX, GGUF) are preferred and unknown formats are
#   flagged.
# custom:
#   id: MODELSAFE
#   kind: extension
#   references:
#     eu_ai_act: ["Art. 15(5)"]
#     nist_ai_rmf: ["MEASURE 2.7", "MANAGE 3.2"]
#     iso_42001: ["A.6.2.5", "A.10.3"]
package aigate.controls.modelsafe

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if util.present("artifacts")

safe_formats := {x | some x in util.conf(["modelsafe", "safe_formats"], ["safetensors", "onnx", "gguf"])}

pickle_formats := {x | some x in util.conf(["modelsafe", "pickle_formats"], ["pickle", "pytorch", "joblib", "numpy"])}

unscanned_verdict := util.conf(["modelsafe", "unscanned_pickle"], "warn")

unknown_verdict := util.conf(["modelsafe", "unknown_status"], "warn")

model_format := object.get(input.manifest.model, "format", null)

# Declared format per manifest artifact: the artifact's own format, else model.format.
declared_formats[a.path] := fmt if {
	some a in util.arr(["model", "artifacts"])
	is_string(a.path) # a path of another type is no key (regopy and OPA disagree on composite keys)
	fmt := object.get(a, "format", model_format)
	fmt != null
}

pickle_suffixes := [".pkl", ".pickle", ".joblib", ".pt", ".pth", ".bin", ".ckpt", ".npy"]

# --- declared: no scan ran in this run ---------------------------------------------------------

unscanned_pickle contains f if {
	not util.present("artifacts")
	some p, fmt in declared_formats
	pickle_formats[fmt]
	f := {
		"rule": "pickle-not-scanned",
		"msg": util.say("artifact %s is %s, a format that can execute code on load, and was not scanned in this run; run the full check, or convert it to safetensors", [p, fmt]),
		"pointer": "/model/format",
		"basis": "declared",
	}
}

deny contains f if {
	unscanned_verdict == "deny"
	some f in unscanned_pickle
}

warn contains f if {
	unscanned_verdict != "deny"
	some f in unscanned_pickle
}

warn contains f if {
	not util.present("artifacts")
	some a in util.arr(["model", "artifacts"])
	fmt := object.get(declared_formats, a.path, null)
	safe_formats[fmt]
	some suffix in pickle_suffixes
	endswith(lower(util.text(a.path)), suffix)
	f := {
		"rule": "format-mismatch",
		"msg": util.say("artifact %s is declared %s but its name suggests a pickle-based file; fix model.format or convert the file", [a.path, fmt]),
		"pointer": "/model/format",
		"basis": "declared",
	}
}

warn contains f if {
	not util.present("artifacts")
	some p, fmt in declared_formats
	not safe_formats[fmt]
	not pickle_formats[fmt]
	f := {
		"rule": "unknown-format",
		"msg": util.say("artifact %s has format %s, which aigate cannot scan; prefer safetensors, ONNX or GGUF", [p, fmt]),
		"pointer": "/model/format",
		"basis": "declared",
	}
}

warn contains f if {
	not util.present("artifacts")
	model_format == null
	f := {
		"rule": "format-undeclared",
		"msg": "model.format is not declared; state the serialisation format (safetensors preferred) so the right safety check applies",
		"pointer": "/model",
		"basis": "declared",
	}
}

# --- evidence: the scan results (input.artifacts[].safety) -----------------------------------

artifacts := object.get(input, "artifacts", [])

# The organisation's allowlist of imported callables (policy data). An entry is an exact
# callable ("collections.OrderedDict") or a module prefix ending in ".*" ("sklearn.*"). A prefix
# admits classes only (a name that starts with an upper-case letter after any underscores, no
# attribute path), never a nested-pickle loader, and never anything under the modules in
# never_by_prefix: functions and loaders need exact entries, so trusting a package never trusts
# its pickle.loads or os import.
allow_entries := ({x | some x in util.conf(["modelsafe", "allow_globals"], [])} | {x | some x in util.conf(["modelsafe", "allow_globals_extra"], [])}) | sklearn_entries

sklearn_entries := {x | some x in util.conf(["modelsafe", "sklearn_globals"], [])} if {
	util.conf(["modelsafe", "allow_sklearn"], false) == true
} else := set()

never_by_prefix := {
	"builtins", "__builtin__", "os", "posix", "nt", "sys", "subprocess", "pickle", "_pickle",
	"marshal", "shutil", "socket", "importlib", "runpy", "code", "codeop", "pty", "ctypes", "dill",
	"cloudpickle", "types", "functools", "operator", "io", "_io", "webbrowser", "multiprocessing",
	"signal", "pathlib", "copyreg", "copy_reg", "codecs", "_codecs", "inspect", "pdb", "bdb",
	"timeit", "asyncio", "threading", "_thread", "gc", "tempfile", "glob", "urllib", "http",
}

# Each distinct [module, name, loader] is judged once per query, however many files import it
# (keys are written inline: on regopy a rule reached through a function is re-evaluated per call).
import_keys contains [object.get(g, "module", ""), object.get(g, "name", ""), object.get(g, "loader", false) == true] if {
	some a in artifacts
	some fi in object.get(object.get(a, "safety", {}), "findings", [])
	some g in object.get(fi, "imports", [])
	is_object(g)
}

allowed_keys contains k if {
	some k in import_keys
	ms_allowed_key(k)
}

ms_allowed_key(k) if allow_entries[ms_callable(k)]

ms_callable(k) := concat(":", [k[0], k[1]]) if contains(k[1], ".") else := concat(".", [k[0], k[1]])

# module prefixes of the ".*" entries, as a set: each import costs one lookup per module level
allow_prefixes := {trim_suffix(e, ".*") | some e in allow_entries; endswith(e, ".*")}

ms_allowed_key(k) if {
	not k[2]
	parts := split(k[0], ".")
	not never_by_prefix[parts[0]]
	regex.match(`^_*[A-Z][A-Za-z0-9_]*$`, k[1])
	some i in numbers.range(1, count(parts))
	allow_prefixes[concat(".", array.slice(parts, 0, i))]
}


ms_describe(g) := util.say("%v", [g]) if not is_object(g)

ms_describe(g) := util.say("%v (in %v at offset %v%v%v)", [
	object.get(g, "callable", "?"),
	object.get(g, "member", "?"),
	object.get(g, "offset", "?"),
	ms_nested_text(g),
	ms_called_text(g),
]) if is_object(g)

ms_nested_text(g) := util.say(", nested in %v", [g.nested]) if object.get(g, "nested", "") != "" else := ""

ms_called_text(g) := ", called" if object.get(g, "called", false) == true else := ", imported"


deny contains f if {
	some a in artifacts
	path := a.path
	some fi in object.get(object.get(a, "safety", {}), "findings", [])
	is_object(fi)
	imports := object.get(fi, "imports", [])
	bad := array.concat(
		[g | some g in imports; is_object(g); not allowed_keys[[object.get(g, "module", ""), object.get(g, "name", ""), object.get(g, "loader", false) == true]]],
		[g | some g in imports; not is_object(g)],
	)
	count(bad) > 0
	f := {
		"rule": "disallowed-global",
		"msg": concat("", [
			util.say("%v imports %v callable(s) outside modelsafe.allow_globals: ", [ms_subject(path, fi), count(bad)]),
			concat("; ", [ms_describe(g) | some g in util.first_n(bad, 5)]),
			ms_more_text(count(bad)),
			". Loading it would run that code. Convert the model to safetensors (or ONNX/GGUF); if you trust these modules, add them to modelsafe.allow_globals in the organisation's policy data",
		]),
		"pointer": "/model/artifacts",
	}
}

# ms_subject(path, fi): "artifact P" for a single-file artifact, "artifact P: file F" inside a directory
ms_subject(path, fi) := util.say("artifact %v", [path]) if fi.file == path

ms_subject(path, fi) := util.say("artifact %v: file %v", [path, fi.file]) if fi.file != path

ms_more_text(n) := util.say(" and %v more", [n - 5]) if n > 5 else := ""

ms_problem_text(fi) := concat("; ", [util.say("%v: %v", [object.get(p, "member", fi.file), p.message]) | some p in util.first_n(object.get(fi, "problems", []), 3)])

deny contains f if {
	some a in artifacts
	s := object.get(a, "safety", {})
	s.status == "unsafe"
	some fi in object.get(s, "findings", [])
	fi.severity == "unsafe"
	f := {
		"rule": "unsafe-model-file",
		"msg": util.say("%v can execute code whatever the allowlist says: %v. Do not deploy it; re-export the weights as safetensors from a trusted source", [ms_subject(a.path, fi), ms_problem_text(fi)]),
		"pointer": "/model/artifacts",
	}
}

deny contains f if {
	some a in artifacts
	s := object.get(a, "safety", {})
	s.status == "unsafe"
	count([fi | some fi in object.get(s, "findings", []); fi.severity == "unsafe"]) == 0
	f := {
		"rule": "unsafe-model-file",
		"msg": util.say("artifact %v can execute code when loaded (%v); re-export the weights as safetensors from a trusted source", [a.path, object.get(s, "scanner", "scanner")]),
		"pointer": "/model/artifacts",
	}
}

deny contains f if {
	some a in artifacts
	s := object.get(a, "safety", {})
	s.status == "error"
	f := {
		"rule": "scan-error",
		"msg": concat("", [
			util.say("artifact %v could not be scanned (%v): ", [a.path, object.get(s, "scanner", "scanner")]),
			concat("; ", [ms_error_text(fi) | some fi in util.first_n([x | some x in object.get(s, "findings", []); x.severity == "error"], 3)]),
			". A file that cannot be scanned is not safe; check that it is a complete, valid file, or convert it to safetensors",
		]),
		"pointer": "/model/artifacts",
	}
}

ms_error_text(fi) := ms_problem_text(fi) if count(object.get(fi, "problems", [])) > 0

ms_error_text(fi) := util.say("%v", [object.get(fi, "message", fi)]) if count(object.get(fi, "problems", [])) == 0

ms_error_text(fi) := util.say("%v", [fi]) if not is_object(fi)

# Findings beyond the collector's per-artifact cap were not shown to the policy: the callables in
# them were never judged, so an artifact that imports anything cannot pass on a partial list.
deny contains f if {
	some a in artifacts
	s := object.get(a, "safety", {})
	s.status in {"imports", "unsafe"}
	object.get(s, "findings_truncated", 0) > 0
	f := {
		"rule": "scan-truncated",
		"msg": util.say("artifact %v has %v more scanned files than the evidence lists, so their imported callables were not judged; split the artifact or convert its pickle files to safetensors", [a.path, s.findings_truncated]),
		"pointer": "/model/artifacts",
	}
}

# A manifest that declares a pickle-capable format for a file aigate could not classify: the
# loader will unpickle it, so "unknown" is a deny, not a warning.
deny contains f if {
	some a in artifacts
	fmt := object.get(declared_formats, a.path, null)
	pickle_formats[fmt]
	some e in object.get(a, "files", [])
	e.format in {"unknown", "unclassified", "empty"}
	f := {
		"rule": "unclassified-pickle",
		"msg": util.say("artifact %v is declared %v but %v is not a pickle, zip or tensor format aigate can classify; a loader would unpickle it unscanned. Re-export it, or convert it to safetensors", [a.path, fmt, e.path]),
		"pointer": "/model/format",
	}
}

unknown_status contains f if {
	some a in artifacts
	s := object.get(a, "safety", {})
	not s.status in {"safe", "unsafe", "error", "imports"}
	f := {
		"rule": "unknown-format",
		"msg": util.say("artifact %v has files aigate cannot classify (%v); prefer safetensors, ONNX or GGUF", [a.path, concat(", ", [e.path | some e in util.first_n([x | some x in object.get(a, "files", []); x.format == "unknown"], 3)])]),
		"pointer": "/model/artifacts",
	}
}

deny contains f if {
	unknown_verdict == "deny"
	some f in unknown_status
}

warn contains f if {
	unknown_verdict != "deny"
	some f in unknown_status
}

warn contains f if {
	some a in artifacts
	path := a.path
	some fi in object.get(object.get(a, "safety", {}), "findings", [])
	is_object(fi)
	some note in object.get(fi, "notes", [])
	f := {
		"rule": "model-program",
		"msg": util.say("%v: %v; review the program or export the weights as safetensors", [ms_subject(path, fi), note]),
		"pointer": "/model/artifacts",
	}
}
