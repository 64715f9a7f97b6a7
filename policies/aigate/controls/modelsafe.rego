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
	endswith(lower(a.path), suffix)
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

finding_text(s) := concat("; ", [util.say("%v", [object.get(x, "message", x)]) | some x in util.first_n(object.get(s, "findings", []), 3)])

deny contains f if {
	some a in artifacts
	s := object.get(a, "safety", {})
	s.status == "unsafe"
	f := {
		"rule": "unsafe-model-file",
		"msg": concat("", [
			util.say("artifact %v contains an executable payload according to %v: ", [a.path, object.get(s, "scanner", "the scanner")]),
			finding_text(s),
			". Do not deploy it; re-export the weights as safetensors from a trusted source",
		]),
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
			finding_text(s),
			". A file that cannot be scanned is not safe; check that it is a complete, valid file",
		]),
		"pointer": "/model/artifacts",
	}
}

unknown_status contains f if {
	some a in artifacts
	s := object.get(a, "safety", {})
	not s.status in {"safe", "unsafe", "error"}
	f := {
		"rule": "unknown-format",
		"msg": util.say("artifact %v has format %v, which could not be classified; prefer safetensors, ONNX or GGUF", [a.path, object.get(a, "format", "unknown")]),
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
	object.get(a, ["safety", "status"], null) == "safe"
	pickle_formats[object.get(a, "format", "")]
	f := {
		"rule": "pickle-format",
		"msg": util.say("artifact %v is %v: the opcode scan passed, but the format can execute code on load. Prefer safetensors", [a.path, a.format]),
		"pointer": "/model/artifacts",
	}
}
