// Package builtin holds the findings dkp-diagnose looks for in every bundle
// without being asked: Cluster API condition trees and stuck Machines,
// NotReady nodes, pods that cannot start, failed Jobs, Pending volume
// claims, admission webhooks without endpoints, Warning events and
// certificates close to expiry.
//
// Each analyzer reads one bundle through an [io/fs.FS] rooted at the
// bundle's root folder (see lib/analyze/bundlefs) and streams list files
// item by item, so memory does not grow with the bundle. Every finding
// names the bundle file it was read from.
package builtin
