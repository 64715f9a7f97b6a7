# METADATA
# title: Environment capture
# description: >-
#   The runtime environment of the release is captured (interpreter, OS, libc, hardware, container
#   image digest, CI run, git commit) and the serving image is pinned by digest, so the exact
#   environment that produced and serves the model can be reconstructed.
# custom:
#   id: ENV
#   level: 1
#   stream: A
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 11(1)", "Annex IV(1)(c)", "Annex IV(1)(e)", "Annex IV(2)(c)"]
#     nist_ai_rmf: ["MAP 4.2", "MEASURE 2.1"]
#     iso_42001: ["A.4.4", "A.4.5", "A.6.2.7"]
package aigate.controls.env

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if util.present("environment")

image := util.m(["serving", "image"])

digest_pattern := `@sha256:[0-9a-f]{64}$`

pinned if {
	is_string(image) # absent or not a string: not pinned (OPA raises on regex.match(_, null))
	regex.match(digest_pattern, image)
}

image_digest := substring(image, indexof(image, "@") + 1, -1) if pinned

# --- declared: the manifest ------------------------------------------------------------------

deny contains f if {
	util.declared(["serving"])
	not util.declared(["serving", "image"])
	f := {
		"rule": "image-missing",
		"msg": "serving.image is not declared; name the serving container image pinned by digest (registry/repo@sha256:<64 hex>)",
		"pointer": "/serving",
	}
}

deny contains f if {
	is_string(image)
	not pinned
	f := {
		"rule": "image-not-pinned",
		"msg": util.say("serving image %s is not pinned by digest; a tag can be moved to other bytes. Use %s@sha256:<digest> (e.g. from `docker buildx imagetools inspect`)", [image, split(image, "@")[0]]),
		"pointer": "/serving/image",
	}
}

deny contains f if {
	some i, p in util.arr(["serving", "runtime_files"])
	util.missing_file(p)
	f := {
		"rule": "runtime-file-missing",
		"msg": util.say("runtime file %s (serving.runtime_files[%v]) does not exist; add it or remove it from the manifest", [p, i]),
		"pointer": util.say("/serving/runtime_files/%v", [i]),
	}
}

warn contains f if {
	not util.declared(["serving"])
	f := {
		"rule": "no-serving-section",
		"msg": "the manifest has no serving section: only the build environment is captured. Declare serving.image (pinned by digest) so the serving environment is reproducible",
		"pointer": "",
	}
}

# --- evidence: input.environment -----------------------------------------------------------------

env := object.get(input, "environment", null)

deny contains f if {
	util.present("environment")
	not is_string(object.get(env, ["python", "version"], null))
	f := {
		"rule": "environment-incomplete",
		"msg": "the captured environment has no Python version; the environment collector did not capture the interpreter (re-run aigate check without --fast)",
	}
}

deny contains f if {
	util.present("environment")
	pinned
	captured := object.get(env, ["container", "digest"], null)
	is_string(captured)
	captured != image_digest
	f := {
		"rule": "image-digest-mismatch",
		"msg": util.say("the running container's image digest %s differs from the manifest's %s; deploy the image the manifest pins or update serving.image", [captured, image_digest]),
		"pointer": "/serving/image",
	}
}

deny contains f if {
	util.present("environment")
	some i, p in util.arr(["serving", "runtime_files"])
	util.file_exists(p)
	object.get(env, ["runtime_files", p], null) == null
	f := {
		"rule": "runtime-file-not-captured",
		"msg": util.say("runtime file %s exists but its digest is not in the captured environment; the environment collector must hash serving.runtime_files", [p]),
		"pointer": util.say("/serving/runtime_files/%v", [i]),
	}
}

warn contains f if {
	util.present("environment")
	object.get(env, ["git", "dirty"], false) == true
	f := {
		"rule": "dirty-worktree",
		"msg": "the git work tree has uncommitted changes: the captured environment does not match any commit. Commit or stash them before releasing",
	}
}

warn contains f if {
	util.present("environment")
	not is_string(object.get(env, ["git", "commit"], null))
	f := {
		"rule": "no-git-commit",
		"msg": "the captured environment names no git commit; run the gate inside the project's git repository",
	}
}
