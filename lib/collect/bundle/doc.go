// Package bundle writes troubleshoot.sh-compatible support bundles: one
// gzip-compressed tar archive per target, holding a single root folder named
// like the bundle (`<prefix>support-bundle-<UTC time>`), under which every
// collected file lives.
//
// A [Writer] is built for many collectors writing at once. Each file opened
// with [Writer.Create] is spooled (in memory up to a threshold, then in an
// unlinked temporary file in the output directory) because a tar header must
// state the size before the content; when the file is closed its content is
// appended to the archive under a lock. Compression runs on a goroutine of
// its own behind a bounded queue, so that appending costs a copy rather than
// the compression. Memory therefore grows with the number of files open at
// the same time, never with file or bundle size.
//
// The gzip stream is a series of members that state their sizes in their
// headers, big files' content in members of their own (member.go): any
// gzip reader reads it as one stream, and [SkipReader] passes over the
// files a reader does not want without decompressing them.
//
// The archive is written to a hidden temporary file next to its final name
// and renamed into place only by a successful [Writer.Close]: a failed or
// aborted bundle never appears under the final name. Names are reserved
// race-free (O_EXCL on the temporary file), so concurrent writers in one or
// several processes that start in the same second get distinct names
// (`…-1`, `…-2`, …). The writer holds an flock on its temporary file; the
// kernel drops it when the process dies, so [RemoveStale] tells the leftovers
// of killed runs from files of runs still writing, in any process.
//
// [ReadAll], [List] and [RootName] read a finished bundle back; they are meant
// for tests. [Walk] streams the files of a bundle, archive or folder.
package bundle
