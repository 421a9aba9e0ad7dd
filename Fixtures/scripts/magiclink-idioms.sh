# Everyday shell idioms that reopen /proc magic links (bash, on any tree):
# process substitution, /dev/stdin, /dev/stdout, a deleted temp file by
# /proc/self/fd and /proc/$$/fd, and re-exec through /proc/self/exe.
cat <(echo procsub)
diff <(printf 'a\nb\n') <(printf 'a\nc\n') | grep -c '^[<>]'
while read l; do echo "loop $l"; done < <(printf '1\n2\n')
echo hi | cat /dev/stdin
echo pipe0 | cat /proc/self/fd/0
echo out > /dev/stdout | cat
( echo to-stderr > /dev/stderr ) 2>&1 | cat
t=$(mktemp); echo deleted-content > "$t"; exec 3<"$t"; rm "$t"
cat /proc/self/fd/3; cat /proc/$$/fd/3; cat /dev/fd/3
readlink /proc/self/fd/3 | sed 's/[0-9a-zA-Z]*\( (deleted)\)$/X\1/'
exec 3<&-
echo x | readlink /proc/self/fd/0 | sed 's/[0-9][0-9]*/N/'
exec 4> >(cat > /dev/null); echo to-procsub >&4; exec 4>&-
sh -c 'exec /proc/self/exe -c "echo sh-reexec \$0"'
bash -c 'test -x /proc/self/exe && echo exe-is-executable'
