# Builds Sources/KnownBugs/Resources/known-bugs.yaml from ../shared/research/known_bugs.yaml plus the project-written
# summaries, keywords, lock chains and fixture pointers in known_bugs_summaries.py.
# Usage: python3 scripts/build-known-bugs-db.py Sources/KnownBugs/Resources/known-bugs.yaml ../shared/research/known_bugs.yaml
import yaml, sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
from known_bugs_summaries import S, K, CHAINS, EXAMPLES
d=yaml.safe_load(open(sys.argv[2]))
out=[]
def q(s): return '"' + s.replace('\\','\\\\').replace('"','\\"') + '"'
lines=["# ksleuth known-bug database (bundled). Format: docs/match.md, section \"Database format\".",
"# Built from ../shared/research/known_bugs.yaml: commit ids, titles, Fixes: tags, releases and frames were",
"# checked against that file's sources (named in `provenance`); summaries are the project's own words.",
"# fixed_in is set only where a source states the mainline release; stable_seen names a stable series whose",
"# review mail carried the fix. frames are innermost first; frames_source says where they came from.",
""]
for e in d:
    i=e['id']
    fc=str(e['fix_commit'])
    lines.append(f"- id: {i}")
    if fc!='unverified':
        lines.append(f"  fix: {{commit: {q(fc[:12])}, title: {q(e['title'])}}}")
    kf=str(e.get('kernel_fixed_in',''))
    if kf.startswith('v'): lines.append(f"  fixed_in: {q(kf)}")
    if e.get('stable_seen'): lines.append(f"  stable_seen: {q(str(e['stable_seen']))}")
    fx=e.get('fixes') or []
    if fx:
        lines.append("  fixes:")
        for f in fx:
            sha, rest = f.split(' ',1)
            lines.append(f"    - {{commit: {q(sha[:12])}, title: {q(rest.strip()[1:-1])}}}")
    lines.append(f"  subsystem: {e['subsystem']}")
    lines.append(f"  kind: {e['kind']}")
    lines.append(f"  frames: [{', '.join(e.get('frames') or [])}]")
    lines.append(f"  frames_source: {e.get('frames_source','none')}")
    other=(e.get('waker_frames') or [])+(e.get('holder_frames') or [])+(e.get('free_frames') or [])+(e.get('other_chain_frames') or [])+(e.get('blocked_worker_frames') or [])
    if other: lines.append(f"  other_frames: [{', '.join(other)}]")
    if i in CHAINS: lines.append(f"  lock_chain: [{', '.join(q(c) for c in CHAINS[i])}]")
    if i in K: lines.append(f"  keywords: [{', '.join(K[i])}]")
    lines.append(f"  summary: {q(S[i])}")
    prov = e['source']
    if kf.startswith('~'): prov += f" ; release not verified ({kf})"
    if fc!='unverified' and len(fc)<12: prov += f" ; only the {len(fc)}-character id prefix was published in the sources checked"
    if fc=='unverified': prov += " ; no fix commit found in the sources checked"
    lines.append(f"  provenance: {q(prov)}")
    if i in EXAMPLES:
        lines.append(f"  example: {EXAMPLES[i][0]}")
        lines.append(f"  near_miss: {EXAMPLES[i][1]}")
    lines.append("")
open(sys.argv[1],'w').write("\n".join(lines))
print(len(d))
