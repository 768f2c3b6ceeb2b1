# t/doc-match.awk - does a program's output match a man page's example of
# it?  For t/doc-examples.test.
#
#   awk -f t/doc-match.awk WANT GOT
#
# WANT matches GOT when they are the same lines, except that a line of
# WANT that is "..." alone (leading blanks allowed; " ..." in roff, where
# a line cannot begin with a dot) stands for one or more lines of GOT.
# Exit status 0 when they match; else 1, and the first line of WANT that
# does not match, or could not be placed, is printed.

function seg_at(from, len, start, k) {
	if (start < 1 || start + len - 1 > ng)
		return 0
	for (k = 0; k < len; k++)
		if (want[from + k] != got[start + k])
			return 0
	return 1
}

# The first line of want[from .. from+len-1] that is not got[start ...].
function first_diff(from, len, start, k) {
	for (k = 0; k < len; k++)
		if (start + k < 1 || start + k > ng || want[from + k] != got[start + k])
			return want[from + k]
	return want[from]
}

function elided(s) {
	return s ~ /^[ \t]*\.\.\.$/
}

FILENAME == ARGV[1] {
	want[++nw] = $0
	next
}

{
	got[++ng] = $0
}

END {
	pos = 1 # the first line of GOT not yet matched
	gap = 0 # an elision comes before the current segment
	i = 1
	while (i <= nw) {
		if (elided(want[i])) {
			gap = 1
			i++
			continue
		}
		j = i
		while (j <= nw && !elided(want[j]))
			j++
		len = j - i
		if (!gap) {
			start = pos
			ok = seg_at(i, len, start)
		} else if (j > nw) {
			# the last lines of WANT are the last lines of GOT
			start = ng - len + 1
			ok = start > pos && seg_at(i, len, start)
		} else {
			# the earliest place leaves the most room for the rest
			ok = 0
			for (start = pos + 1; start + len - 1 <= ng; start++)
				if ((ok = seg_at(i, len, start)))
					break
		}
		if (!ok) {
			# where the place is fixed, the line that differs there
			print (!gap || j > nw) ? first_diff(i, len, start) : want[i]
			exit 1
		}
		pos = start + len
		gap = 0
		i = j
	}
	if (gap ? pos > ng : pos <= ng) {
		print gap ? "... (nothing is left for it)" : "(the end: more lines follow)"
		exit 1
	}
	exit 0
}
