"""Services: moving old turns out of conversation_log into monthly archives,
bringing them back, and rewriting archives without a person's turns.

The rule everything here keeps: every turn is in exactly one place, the hot
table or the file its archive's manifest row points at, except for a moment
that the manifest row records (state DELETING or RESTORING, or a
`replaced_path` still to delete), which the next run finishes. So a run killed
at any point loses nothing and, once the next run is through, duplicates
nothing:

1. write the next generation of the file under a new name (a temporary file,
   then the storage), read it back from the storage, and compare the count of
   lines and the SHA-256 of the bytes; a file a dead run left under that name
   is simply overwritten, since no manifest row points at it;
2. commit the manifest row: it now points at the new file (state DELETING);
3. delete the previous generation's file;
4. delete from the hot table, in batches of ARCHIVE_BATCH_SIZE ids read back
   from the new file, exactly the turns the file holds; then state COMPLETE.

Memory stays flat however large a month is: turns are read in keyset batches,
files are streamed through gzip and a temporary file, never held whole.

Writers of one robeing's archives (the archive job, restore, erasure) take
the lock `archive:<robeing_id>`; the job as a whole takes `archive-job`.

Modules, lowest first: `files` (paths, writing and verifying a generation,
reading one), `manifest` (the row: lookup, locks, step 2, steps 3 and 4),
`plan` (what is due), `months` (archive a month, the nightly run), `restore`,
`erasure` (a person out of the archives, or their archived turns read out).
"""
