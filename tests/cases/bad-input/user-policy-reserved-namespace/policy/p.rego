package aigate.controls.env
import rego.v1

basis := "evidence"
