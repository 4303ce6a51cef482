#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Counts the results of a guest run: KUnit (KTAP in the kernel log), the
kselftests (TAP files), a scan of the kernel log and kmemleak for reports,
the boot of its own that must show two lockdep reports, and the one that
must show the report of a lookup outside RCU. Prints a line per suite, the
figures the tests report ('# figure: NAME VALUE'), and last 'N passed, N
failed, N skipped'; exits 1 on any failure and when nothing ran."""

import collections
import glob
import os
import re
import sys

RESULT = re.compile(r'^(not )?ok \d+ (?:- )?([^#]*?)\s*(?:#\s*(\w+)(.*))?$')
TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')
FIGURE = re.compile(r'^# figure: (\S+) (.*)$')
REPORTS = re.compile(r'BUG:|WARNING:|Oops|KASAN|UBSAN|kernel BUG|'
                     r'general protection fault|possible circular locking|'
                     r'possible recursive locking|inconsistent lock state|'
                     r'suspicious RCU usage|INFO: task .* blocked|'
                     r'Kernel panic|rust_panic|refcount_t:')


class Tally:
    def __init__(self, known):
        self.known = known
        self.suites = collections.OrderedDict()
        self.notes = []

    def add(self, suite, name, passed, skipped=False, why=''):
        counts = self.suites.setdefault(suite, [0, 0, 0])
        key = f'{suite}/{name}'
        if skipped:
            counts[2] += 1
        elif key in self.known and not passed:
            counts[2] += 1
            self.notes.append(f'known failure {key}: {self.known[key]}')
        elif passed:
            counts[0] += 1
            if key in self.known:
                self.notes.append(f'{key} is listed as a known failure but passed')
        else:
            counts[1] += 1
            self.notes.append(f'FAILED {key}{": " + why if why else ""}')

    def tap(self, suite, lines):
        found = 0
        for name, passed, skipped in tap_results(lines):
            found += 1
            self.add(suite, name, passed, skipped=skipped)
        return found


def tap_results(lines):
    """The (name, passed, skipped) of each top-level result of a TAP log."""
    for line in lines:
        m = RESULT.match(line)
        if m:
            yield m.group(2).strip(), m.group(1) is None, (m.group(3) or '').upper() == 'SKIP'


def read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return None


def known_failures(path):
    known = {}
    for line in read(path) or []:
        if line.strip() and not line.startswith('#'):
            key, _, why = line.partition(' ')
            known[key] = why.strip()
    return known


def kunit(tally, log):
    """Each KUnit suite is a KTAP subtest; its cases are one level deeper."""
    lines = [TIMESTAMP.sub('', l) for l in log]
    suite, planned, done = None, None, 0
    for i, line in enumerate(lines):
        if planned is None and re.match(r'^1\.\.(\d+)$', line):
            if i > 0 and lines[i - 1].startswith('KTAP version'):
                planned = int(line[3:])
        m = re.match(r'^    # Subtest: (\S+)', line)
        if m:
            suite = m.group(1)
            continue
        m = re.match(r'^    (not )?ok \d+ (?:- )?([^#]*?)\s*(?:#\s*(\w+).*)?$', line)
        if m and suite:
            tally.add('kunit:' + suite, m.group(2).strip(), m.group(1) is None,
                      skipped=(m.group(3) or '').upper() == 'SKIP')
        elif re.match(r'^(not )?ok \d+ ', line) and suite:
            done += 1
            suite = None
    if planned is None:
        tally.add('kunit', 'ran', False, why='no KTAP output in the kernel log')
    elif done != planned:
        tally.add('kunit', 'complete', False,
                  why=f'{done} of {planned} suites reported')


def kselftests(tally, out):
    for key, why in tally.known.items():
        if '/' in key and ':' not in key:
            suite, _, prog = key.partition('/')
            if os.path.exists(os.path.join(out, f'ksft-{suite}-{prog}.tap')):
                continue  # make check-full runs it
            tally.add(suite, prog, False, skipped=True)
            tally.notes.append(f'not run {key}: {why}')
    for path in sorted(glob.glob(os.path.join(out, 'ksft-*.tap'))):
        base = os.path.basename(path)[5:-4]
        suite, _, prog = base.partition('-')
        lines = read(path)
        rc = next((int(l[5:]) for l in reversed(lines) if l.startswith('exit ')), -1)
        if rc == 4:
            tally.add(suite, prog, True, skipped=True)
            continue
        found = tally.tap(f'{suite}:{prog}', lines)
        if found == 0 or (rc != 0 and not any(l.startswith('not ok') for l in lines)):
            tally.add(f'{suite}:{prog}', 'exit', False,
                      why=f'exit status {rc}, {found} results; see {path}')


def log_scan(tally, out, figures):
    log = read(os.path.join(out, 'dmesg.txt'))
    if log is None:
        tally.add('kernel', 'guest-finished', False, why='no dmesg.txt: the guest did not finish')
        return None
    bad = [l for l in log if REPORTS.search(l)]
    tally.add('kernel', 'log-clean', not bad, why='\n    '.join([''] + bad[:20]))
    leaks = read(os.path.join(out, 'kmemleak.txt')) or []
    tally.add('kernel', 'kmemleak-clean', not leaks,
              why='\n    '.join([''] + leaks[:40]))
    figures['kernel_reports'] = str(len(bad))
    figures['kmemleak_leaked_objects'] = str(sum(l.startswith('unreferenced object')
                                                 for l in leaks))
    return log


def boot_of_its_own(tally, out, name):
    """The kernel log of the boot that left OUT/NAME, its lines that report
    problems, and why a check of them failed; None if it left no log."""
    log = read(os.path.join(out, name, 'dmesg.txt'))
    if log is None:
        tally.add(name, 'boot-finished', False, why=f'no {name}/dmesg.txt')
        return None
    bad = [l for l in log if REPORTS.search(l)]
    return log, bad, '\n    '.join(['reports:'] + bad[:10])


def lockdep_boot(tally, out):
    """The boot of harness/guest-lockdep.sh: two reports of hits, which the
    core tells the debugging about as if they missed (cgroup_driver_get_data()
    calls might_sleep() and might_lock()): sleeping with preemption off, then
    the inversion of cgroup_mutex and cpu_hotplug_lock under
    cpus_read_lock()."""
    boot = boot_of_its_own(tally, out, 'lockdep')
    if boot is None:
        return
    log, bad, why = boot
    text = '\n'.join(log)
    atomic = [l for l in bad if 'sleeping function called from invalid context' in l]
    circular = [l for l in bad if 'possible circular locking dependency' in l]
    tally.add('lockdep', 'hit_with_preemption_off_reported',
              len(atomic) == 1 and 'cgroup_driver_exports.c' in atomic[0], why=why)
    tally.add('lockdep', 'hit_under_cpus_read_lock_reported',
              len(circular) == 1 and len(bad) == 2 and
              all(w in text for w in ('cgroup_mutex', 'cpu_hotplug_lock', 'hit_cpus_locked')),
              why=why)


def rcu_boot(tally, out):
    """The boot of harness/guest-rcu.sh: its one KUnit case looks up outside
    RCU, which the Rust walk must report as rcu_dereference() would."""
    boot = boot_of_its_own(tally, out, 'rcu')
    if boot is None:
        return
    log, bad, why = boot
    ran = any(re.search(r'(?<!not )\bok \d+ lookup_outside_rcu_is_reported$', l) for l in log)
    tally.add('rcu', 'lookup_outside_rcu_reported',
              ran and len(bad) == 1 and 'suspicious RCU usage' in bad[0] and
              'cgroup_driver/table.rs' in '\n'.join(log),
              why=why if ran else 'the case did not run; ' + why)


def figures_of(out, figures):
    for path in sorted(glob.glob(os.path.join(out, 'ksft-*.tap'))):
        for line in read(path):
            m = FIGURE.match(line)
            if m:
                figures[m.group(1)] = m.group(2)


def vanilla(out, known):
    """make vanilla-check: each case of harness/known-failures must fail on
    the kernel without this project too."""
    results = {}
    for path in sorted(glob.glob(os.path.join(out, 'ksft-cgroup-*.tap'))):
        prog = os.path.basename(path)[len('ksft-cgroup-'):-4]
        for name, ok, skipped in tap_results(read(path)):
            if not skipped:
                results[f'cgroup:{prog}/{name}'] = ok
    passed = failed = 0
    for key in (k for k in known if ':' in k):
        if key not in results:
            print(f'FAILED {key}: not run without this project')
        elif results[key] and known[key].startswith('timing:'):
            print(f'{key}: passes without this project this time; {known[key]}')
            passed += 1
            continue
        elif results[key]:
            print(f'FAILED {key}: passes without this project, fails with it')
        else:
            print(f'{key}: fails without this project too')
            passed += 1
            continue
        failed += 1
    for key, ok in results.items():
        if not ok and key not in known:
            print(f'note: {key} fails without this project, not a known failure')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed or not passed else 0


def main():
    if sys.argv[1] == '--vanilla':
        here = os.path.dirname(__file__)
        return vanilla(sys.argv[2], known_failures(os.path.join(here, 'known-failures')))
    out = sys.argv[1]
    tally = Tally(known_failures(os.path.join(os.path.dirname(__file__), 'known-failures')))
    figures = collections.OrderedDict()
    figures_of(out, figures)
    log = log_scan(tally, out, figures)
    kunit(tally, log or read(os.path.join(out, 'boot.log')) or [])
    kselftests(tally, out)
    lockdep_boot(tally, out)
    rcu_boot(tally, out)
    total = [0, 0, 0]
    for suite, (p, f, s) in tally.suites.items():
        print(f'{suite}: {p} passed, {f} failed, {s} skipped')
        total = [total[0] + p, total[1] + f, total[2] + s]
    for note in tally.notes:
        print(note)
    for name, value in figures.items():
        print(f'figure: {name} {value}')
    print(f'{total[0]} passed, {total[1]} failed, {total[2]} skipped')
    return 1 if total[1] or not total[0] else 0


if __name__ == '__main__':
    sys.exit(main())
