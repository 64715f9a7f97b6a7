# METADATA
# title: Dependency logging
# description: >-
#   Every dependency of the release is recorded: an SBOM and a lockfile exist and agree (same
#   packages, same versions), and the model artifacts are hashed into the ML-BOM, so what shipped
#   can be listed and checked for vulnerabilities later.
# custom:
#   id: DEP
#   level: 1
#   stream: A
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 11(1)", "Annex IV(1)(c)", "Annex IV(2)(a)"]
#     nist_ai_rmf: ["MAP 4.1", "GOVERN 6.1", "MANAGE 3.1"]
#     iso_42001: ["A.4.4", "A.6.2.7", "A.10.3"]
package aigate.controls.dep

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if {
	util.present("sbom")
	util.present("dependencies")
}

deps := object.get(input.manifest, "dependencies", {})

lock_keys := ["requirements", "pylock", "lockfile"]

declared_locks := [k | some k in lock_keys; is_string(object.get(deps, k, null))]

max_n := util.conf(["thresholds", "max_listed_items"], 10)

# --- declared ---------------------------------------------------------------------------------

# Without a declared lock file, the installed-state lock that aigate captures is the record
# (checked below when dependency evidence exists); the fast path can only warn.
warn contains f if {
	count(declared_locks) == 0
	not util.present("dependencies")
	f := {
		"rule": "no-dependency-file",
		"msg": "no dependency lock file is declared, and this run did not capture the installed packages; declare dependencies.pylock (PEP 751 pylock.toml) or a hashed requirements.txt",
		"pointer": "/dependencies",
		"basis": "declared",
	}
}

deny contains f if {
	some k in declared_locks
	p := deps[k]
	util.missing_file(p)
	f := {
		"rule": "dependency-file-missing",
		"msg": util.say("dependencies.%s names %s, which does not exist; commit it or fix the path", [k, p]),
		"pointer": util.say("/dependencies/%s", [k]),
	}
}


# --- evidence: input.sbom and input.dependencies ---------------------------------------------

sbom := object.get(input, "sbom", null)

deny contains f if {
	util.present("sbom")
	util.get(sbom, "valid", false) != true
	f := {
		"rule": "sbom-invalid",
		"msg": "the generated SBOM is not valid CycloneDX 1.6; see the SBOM collector's errors (this is an aigate or environment problem, not a manifest one)",
	}
}

deny contains f if {
	util.present("dependencies")
	mismatches := object.get(input.dependencies, "lock_mismatches", [])
	count(mismatches) > 0
	shown := [util.say("%s (installed %v, locked %v)", [x.name, object.get(x, "installed", "-"), object.get(x, "locked", "-")]) | some x in util.first_n(mismatches, max_n)]
	f := {
		"rule": "lock-mismatch",
		"msg": concat("", [
			util.say("%v installed package(s) differ from the lock file: ", [count(mismatches)]),
			util.listing(shown, count(mismatches)),
			"; re-install from the lock or regenerate it",
		]),
		"pointer": "/dependencies",
	}
}

deny contains f if {
	util.present("dependencies")
	object.get(input.dependencies, ["lock", "packages_count"], 0) == 0
	f := {
		"rule": "no-dependency-record",
		"msg": "the dependency collector recorded no installed packages; check the interpreter aigate inspects (--python)",
		"pointer": "/dependencies",
	}
}

warn contains f if {
	util.present("dependencies")
	object.get(input.dependencies, "lockfile", null) == null
	f := {
		"rule": "installed-state-only",
		"msg": "no project lock file is declared; the dependency record is the installed state only (env-lock.json). Commit a PEP 751 pylock.toml (pip lock) and set dependencies.pylock",
		"pointer": "/dependencies",
	}
}

sbom_model_paths := {p | some mdl in util.get(sbom, "models", []); p := mdl.path}

deny contains f if {
	util.present("sbom")
	some i, a in object.get(input.manifest.model, "artifacts", [])
	object.get(a, "kind", "model") == "model"
	not sbom_model_paths[a.path]
	f := {
		"rule": "model-not-in-sbom",
		"msg": util.say("model artifact %s is not a machine-learning-model component of the SBOM; the ML-BOM must hash every model artifact", [a.path]),
		"pointer": util.say("/model/artifacts/%v", [i]),
	}
}

deny contains f if {
	util.present("sbom")
	some mdl in util.get(sbom, "models", [])
	not is_string(object.get(mdl, "sha256", null))
	f := {
		"rule": "model-not-hashed",
		"msg": util.say("SBOM model component %s has no SHA-256 hash", [object.get(mdl, "path", object.get(mdl, "name", "?"))]),
	}
}

# A requirements file without --hash pins versions but not artifacts: the same version can be
# rebuilt with other bytes.
warn contains f if {
	util.present("dependencies")
	lf := object.get(input.dependencies, "lockfile", null)
	is_object(lf)
	lf.hashed == false
	f := {
		"rule": "lockfile-unhashed",
		"msg": util.say("%s pins versions but not artifacts (no --hash); regenerate it with hashes (pip-compile --generate-hashes) or use a PEP 751 pylock.toml", [lf.path]),
		"pointer": "/dependencies",
	}
}
