# METADATA
# title: Compliance checks
# description: >-
#   The release meets the obligations of its declared risk class: the license check covered the
#   whole SBOM and passed, every document the organisation requires for that class exists, and
#   the risk assessment is recent.
# custom:
#   id: COMPLY
#   level: 3
#   stream: A
#   kind: aima
#   references:
#     eu_ai_act: ["Art. 5", "Art. 6", "Art. 9(2)", "Art. 11(1)", "Art. 17(1)(a)", "Annex IV"]
#     nist_ai_rmf: ["GOVERN 1.1", "GOVERN 6.1", "MAP 4.1"]
#     iso_42001: ["A.2.3", "A.5.2", "A.5.3", "A.6.2.7"]
package aigate.controls.comply

import rego.v1

import data.aigate.lib.util

default basis := "declared"

basis := "evidence" if object.get(input, ["dependencies", "licenses"], null) != null

risk_class := util.m(["compliance", "risk_class"])

documents := util.obj(["compliance", "documents"])

frameworks := util.arr(["compliance", "frameworks"])

required_docs := util.conf(["compliance", "risk_class_documents", risk_class], [])

required_frameworks := util.conf(["compliance", "required_frameworks", risk_class], [])

max_age_days := util.conf(["thresholds", "risk_assessment_max_age_days"], 365)

deny contains f if {
	not is_string(risk_class)
	f := {
		"rule": "no-risk-class",
		"msg": "compliance.risk_class is not declared; classify the system (high, limited, minimal) under the EU AI Act so the required documents can be checked",
		"pointer": "/compliance",
	}
}

deny contains f if {
	risk_class == "unacceptable"
	f := {
		"rule": "prohibited-practice",
		"msg": "compliance.risk_class is unacceptable: the system is a prohibited AI practice (EU AI Act Art. 5) and must not be deployed",
		"pointer": "/compliance/risk_class",
	}
}

deny contains f if {
	some kind in required_docs
	not is_string(object.get(documents, kind, null))
	f := {
		"rule": "document-not-declared",
		"msg": util.say("a %s-risk system needs a %s document; write it and list it under compliance.documents.%s", [risk_class, kind, kind]),
		"pointer": "/compliance/documents",
	}
}

deny contains f if {
	some kind, p in documents
	util.missing_file(p)
	f := {
		"rule": "document-missing",
		"msg": util.say("compliance document %s (compliance.documents.%s) does not exist; add it or fix the path", [p, kind]),
		"pointer": util.say("/compliance/documents/%s", [kind]),
	}
}

warn contains f if {
	some fw in required_frameworks
	not fw in frameworks
	f := {
		"rule": "framework-not-named",
		"msg": util.say("a %s-risk system should be assessed against %s; add it to compliance.frameworks", [risk_class, fw]),
		"pointer": "/compliance/frameworks",
	}
}

# Age of the risk assessment, from the file's modification time as collected (input.files) and
# the run's clock (input.aigate.now_epoch, falling back to the engine clock).
now_epoch := n if {
	n := object.get(input, ["aigate", "now_epoch"], null)
	is_number(n)
} else := time.now_ns() / 1000000000

# When a document last changed: its last commit (a checkout resets modification times), else
# its modification time.
doc_changed_epoch(p) := t if {
	t := object.get(input, ["files", p, "last_commit_epoch"], null)
	is_number(t)
} else := t if {
	t := object.get(input, ["files", p, "mtime_epoch"], null)
	is_number(t)
}

deny contains f if {
	p := object.get(documents, "risk_assessment", null)
	util.file_exists(p)
	mtime := doc_changed_epoch(p)
	age_days := floor((now_epoch - mtime) / 86400)
	age_days > max_age_days
	f := {
		"rule": "risk-assessment-stale",
		"msg": util.say("the risk assessment %s is %v days old; policy requires a review at least every %v days. Review and update it", [p, age_days, max_age_days]),
		"pointer": "/compliance/documents/risk_assessment",
	}
}

# --- required sections (e.g. EU AI Act Annex IV) in the headings of required documents ---------

comply_section_present(headings, alternatives) if {
	some h in headings
	some a in alternatives
	contains(lower(h), lower(a))
}

deny contains f if {
	some kind in required_docs
	p := object.get(documents, kind, null)
	is_string(p)
	headings := object.get(input, ["files", p, "headings"], null)
	is_array(headings)
	some section in util.conf(["compliance", "required_sections", kind], [])
	not comply_section_present(headings, section.any)
	f := {
		"rule": "document-section-missing",
		"msg": util.say("%s (compliance.documents.%s) has no section on %s; add a heading for it (any of: %s)", [p, kind, section.id, concat(", ", section.any)]),
		"pointer": util.say("/compliance/documents/%s", [kind]),
	}
}

# --- the license check over the whole SBOM ------------------------------------------------------

lic := object.get(input, ["dependencies", "licenses"], null)

deny contains f if {
	lic == null
	f := {
		"rule": "license-check-not-run",
		"msg": "the license check did not run in this run (no dependency evidence); level 3 compliance needs the full check over the SBOM",
		"basis": "declared",
	}
}

deny contains f if {
	lic != null
	util.get(lic, "checked", 0) < util.get(lic, "total", 0)
	f := {
		"rule": "license-check-incomplete",
		"msg": util.say("the license check covered %v of %v packages; every SBOM component must be checked", [util.get(lic, "checked", 0), util.get(lic, "total", 0)]),
	}
}

deny contains f if {
	lic != null
	n := util.get(lic, ["summary", "deny"], 0)
	n > 0
	f := {
		"rule": "license-check-failed",
		"msg": util.say("the license check found %v package(s) with forbidden licenses (see the LICENSE findings)", [n]),
	}
}
