package main

// memoryLimit is the soft memory limit rootwatch sets unless GOMEMLIMIT is
// set (see setup): 400 MiB keeps an audit of 100,000 accounts under 500 MB
// of resident memory in every format, and is never reached by smaller
// fleets, which keep GOGC=200's speed.
const memoryLimit = 400 << 20
