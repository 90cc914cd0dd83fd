// Package spec holds the troubleshoot.sh/v1beta2 SupportBundle and Redactor
// types dkp-diagnose understands, and loads them from YAML. These types are the
// only contract between the CLI, the configuration and the collectors: field
// names follow troubleshoot.sh so that existing specs keep working.
package spec
