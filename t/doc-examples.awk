# t/doc-examples.awk - the plan of a man page's examples, for
# t/doc-examples.test, which describes the directives.
#
#   awk -v dir=DIR -f t/doc-examples.awk doc/xlbc.1
#
# reads the page's '.\" example:' directives and its .EX ... .EE blocks,
# checks that every block has exactly one directive that says what it is,
# and writes one step a line on standard output, in page order:
#
#   LINE <TAB> KIND <TAB> STATUS <TAB> ARG
#
# LINE is the page's line the step is reported at, STATUS the exit status
# the step's command must end with.  KIND is one of
#
#   error    ARG is what is wrong with the annotations (a failed test)
#   file     write DIR/LINE.want, the block, to the file ARG
#   rules    the same, to ARG (LINE.conf without it), then 'xlbc --check'
#   output   run ARG; what it prints must be DIR/LINE.want
#   json     the same, compared as JSON
#   cmd      run DIR/LINE.cmd; when DIR/LINE.want exists, that is what it
#            prints (a command of a 'commands' block, LINE its prompt's)
#   run      run ARG
#   none     a block that is not run, ARG says why
#
# The sed expressions of the 'sub' directives that apply to a step's
# output are in DIR/LINE.sed.  The block's text is decoded from roff:
# the escapes the pages use are turned into the characters they print, and
# anything else (an unknown escape, a request inside the block) is an
# error rather than a guess.

BEGIN {
	TAB = "\t"
	# what the one-character escapes print
	escape["-"] = "-"
	escape["e"] = escape["\\"] = "\\"
	escape["&"] = escape["%"] = ""
	escape["t"] = "\t"
	escape[" "] = escape["~"] = " "
	# and the named characters, \(xx or \[xx]
	glyph["aq"] = "'"
	glyph["dq"] = "\""
	glyph["ti"] = "~"
	glyph["ha"] = "^"
	glyph["rs"] = "\\"
	# what each directive takes: a block, or no block
	takes_block["file"] = takes_block["rules"] = 1
	takes_block["output"] = takes_block["json"] = 1
	takes_block["commands"] = takes_block["none"] = 1
	modifier["sub"] = modifier["status"] = modifier["wrapped"] = 1
	standalone["run"] = 1
	nsubs = 0
	status = ""
	wrapped = 0
	pending = ""
	inblock = 0
}

function step(line, kind, st, arg) {
	printf "%d%s%s%s%s%s%s\n", line, TAB, kind, TAB, st, TAB, arg
}

function fail(line, msg) {
	step(line, "error", 0, msg)
}

# The text a line of a block prints, or "" with decode_err set.
function decode(s, out, i, n, c, name, j) {
	out = ""
	decode_err = ""
	n = length(s)
	i = 1
	while (i <= n) {
		c = substr(s, i, 1)
		if (c != "\\") {
			out = out c
			i++
			continue
		}
		c = substr(s, i + 1, 1)
		if (c in escape) {
			out = out escape[c]
			i += 2
		} else if (c == "(" || c == "[") {
			if (c == "(") {
				name = substr(s, i + 2, 2)
				j = i + 4
			} else {
				j = index(substr(s, i + 2), "]")
				if (!j) {
					decode_err = "an unterminated \\["
					return ""
				}
				name = substr(s, i + 2, j - 1)
				j = i + 2 + j
			}
			if (!(name in glyph)) {
				decode_err = "the escape \\" c name (c == "[" ? "]" : "") \
					" (add it to glyph[] in t/doc-examples.awk)"
				return ""
			}
			out = out glyph[name]
			i = j
		} else if (c == "f") {
			# a font change prints nothing: \fB, \f(CW, \f[CR]
			c = substr(s, i + 2, 1)
			if (c == "(")
				i += 5
			else if (c == "[") {
				j = index(substr(s, i + 3), "]")
				if (!j) {
					decode_err = "an unterminated \\f["
					return ""
				}
				i += 3 + j
			} else
				i += 3
		} else {
			decode_err = "the escape \\" c
			return ""
		}
	}
	return out
}

# A directive's arguments: its text after the kind.
function directive(line, text, kind, arg, p) {
	sub(/^[ \t]+/, "", text)
	sub(/[ \t]+$/, "", text)
	kind = text
	arg = ""
	p = match(text, /[ \t]/)
	if (p) {
		kind = substr(text, 1, p - 1)
		arg = substr(text, p)
		sub(/^[ \t]+/, "", arg)
	}
	if (!(kind in takes_block) && !(kind in modifier) && !(kind in standalone)) {
		fail(line, "unknown directive 'example: " kind "'")
		return
	}
	if (pending != "" && !(kind in modifier)) {
		fail(line, "'example: " kind "' before the block of 'example: " \
			pending "' (line " pending_line ")")
		return
	}
	if (kind == "sub") {
		if (arg == "") {
			fail(line, "'example: sub' needs a sed expression")
			return
		}
		subs[++nsubs] = arg
		sub_line = line
	} else if (kind == "status") {
		if (arg !~ /^[0-9]+$/ || arg + 0 > 255) {
			fail(line, "'example: status' needs an exit status, 0 to 255")
			return
		}
		status = arg + 0
		status_line = line
	} else if (kind == "wrapped") {
		if (arg != "") {
			fail(line, "'example: wrapped' takes no argument")
			return
		}
		wrapped = 1
		wrapped_line = line
	} else if (kind == "run") {
		if (arg == "") {
			fail(line, "'example: run' needs a command")
			return
		}
		step(line, "run", status == "" ? 0 : status, arg)
		status = ""
	} else {
		if ((kind == "file" || kind == "output" || kind == "json" ||
		     kind == "none") && arg == "") {
			fail(line, "'example: " kind "' needs " \
				(kind == "file" ? "a file name" : \
				 kind == "none" ? "the reason it is not run" : \
				 "the command"))
			return
		}
		if ((kind == "file" || kind == "rules") && arg ~ /[ \t\/]/) {
			fail(line, "'example: " kind "' takes one file name, in the " \
				"example's directory")
			return
		}
		if (kind == "commands" && arg != "") {
			fail(line, "'example: commands' takes no argument")
			return
		}
		pending = kind
		pending_arg = arg
		pending_line = line
	}
}

# The modifiers that do not apply to a step of this kind.
function check_modifiers(line, kind) {
	if (nsubs && (kind == "file" || kind == "rules" || kind == "none"))
		fail(sub_line, "'example: sub' before a block that is not compared")
	if (status != "" && kind != "output" && kind != "json")
		fail(status_line, "'example: status' before a block that is not " \
			"'output' or 'json' (each command of 'commands' must succeed)")
	if (wrapped && kind != "output" && kind != "json")
		fail(wrapped_line, "'example: wrapped' before a block that is not " \
			"'output' or 'json'")
}

function write_subs(line, f, i) {
	if (!nsubs)
		return
	f = dir "/" line ".sed"
	for (i = 1; i <= nsubs; i++)
		print subs[i] > f
	close(f)
}

# A 'commands' block: each command (after "$ " or "# ", with the lines it
# continues onto when it ends in \, |, && or ||) is a step, and the lines
# after it up to the next prompt are what it prints.
function commands_steps(start, nl, lines, i, cmdline, f, out, cont) {
	cmdline = 0
	cont = 0
	for (i = 1; i <= nl; i++) {
		if (cont) {
			print lines[i] > f
			cont = lines[i] ~ /(\\|\||&&|\|\|)[ \t]*$/
			continue
		}
		if (lines[i] ~ /^[$#] /) {
			if (cmdline)
				commands_flush(cmdline, f, out)
			cmdline = start + i
			f = dir "/" cmdline ".cmd"
			out = dir "/" cmdline ".want"
			has_out = 0
			print substr(lines[i], 3) > f
			cont = lines[i] ~ /(\\|\||&&|\|\|)[ \t]*$/
			continue
		}
		if (!cmdline) {
			fail(start + i, "a 'commands' block must begin with a " \
				"command (\"$ \" or \"# \")")
			return
		}
		print lines[i] > out
		has_out = 1
	}
	if (cmdline)
		commands_flush(cmdline, f, out)
	else
		fail(start, "a 'commands' block without a command")
}

function commands_flush(line, f, out) {
	close(f)
	if (has_out)
		close(out)
	write_subs(line)
	step(line, "cmd", 0, "")
}

function end_block(line, i, f, text, kind) {
	kind = pending
	check_modifiers(pending_line, kind)
	if (kind == "commands") {
		commands_steps(block_start, nblock, block)
	} else if (kind == "none") {
		step(block_start, "none", 0, pending_arg)
	} else {
		f = dir "/" block_start ".want"
		if (wrapped) {
			text = ""
			for (i = 1; i <= nblock; i++)
				text = text (i > 1 ? " " : "") block[i]
			print text > f
		} else {
			for (i = 1; i <= nblock; i++)
				print block[i] > f
		}
		close(f)
		write_subs(block_start)
		if (kind == "rules" && pending_arg == "")
			pending_arg = block_start ".conf"
		step(block_start, kind, status == "" ? 0 : status, pending_arg)
	}
	pending = ""
	nsubs = 0
	status = ""
	wrapped = 0
}

inblock && /^\.EE([ \t]|$)/ {
	inblock = 0
	if (!broken)
		end_block(FNR)
	pending = ""
	nsubs = 0
	status = ""
	wrapped = 0
	next
}

inblock {
	if ($0 ~ /^\.\\" example:/) {
		fail(FNR, "a directive inside an example block")
		broken = 1
		next
	}
	if ($0 ~ /^\.\\"/)
		next
	if ($0 ~ /^[.']/) {
		fail(FNR, "a roff request inside an example block: " $0)
		broken = 1
		next
	}
	text = decode($0)
	if (decode_err != "") {
		fail(FNR, "cannot decode " decode_err)
		broken = 1
		next
	}
	block[++nblock] = text
	next
}

/^\.\\" example:/ {
	directive(FNR, substr($0, length(".\\\" example:") + 1))
	next
}

/^\.EX([ \t]|$)/ {
	inblock = 1
	broken = 0
	nblock = 0
	block_start = FNR
	if (pending == "") {
		fail(FNR, "an example block without a directive: say what it " \
			"is with '.\\\" example: KIND' (see t/doc-examples.test)")
		broken = 1
	}
	next
}

# anything else between a directive and its block
pending != "" && !/^\.\\"/ {
	fail(pending_line, "'example: " pending "' is not followed by its " \
		"block (.EX)")
	pending = ""
}

END {
	if (inblock)
		fail(block_start, "an example block without its .EE")
	if (pending != "")
		fail(pending_line, "'example: " pending "' without its block")
	if (nsubs)
		fail(sub_line, "'example: sub' without a block after it")
	if (status != "")
		fail(status_line, "'example: status' without a step after it")
	if (wrapped)
		fail(wrapped_line, "'example: wrapped' without a block after it")
}
