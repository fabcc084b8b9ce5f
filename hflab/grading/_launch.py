"""Start a grading kernel: hide what the student must not read, then hand over to ipykernel.

Run as ``python -P _launch.py CONNECTION_FILE`` (under ``unshare --user --map-root-user --mount``
when the machine allows it). The plan comes from the file named in $HFLAB_GRADE_PLAN, which is
removed from the environment before any student code runs: mounts to make (bind the course
models into the submission's build folder; leave only this submission's folder among the
grading run's folders; cover the course notebooks, build outputs, git history, the
submissions and the instructor's token files), sys.path entries to drop (inside the
checkout but not the Python environment), the working folder. A mount that fails stops the kernel: grading never goes on unprotected.
Standard library only.
"""
import json
import os
import subprocess
import sys


def _mount(kind: str, src: str, dst: str) -> None:
    if kind == "mkdir":
        os.makedirs(dst, exist_ok=True)
        return
    if kind in ("bind", "rbind"):
        cmd = ["mount", "--" + kind, src, dst]
    elif kind == "hide_dir":
        cmd = ["mount", "-t", "tmpfs", "-o", "ro,size=16k,mode=755", "hflab-hidden", dst]
    elif kind == "tmpfs":  # an empty, writable folder over dst (the other submissions' folders)
        cmd = ["mount", "-t", "tmpfs", "-o", "size=64k,mode=755", "hflab-hidden", dst]
    else:  # hide_file
        cmd = ["mount", "--bind", "/dev/null", dst]
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode:
        sys.stderr.write(f"hflab grade: mount failed ({' '.join(cmd)}): {r.stderr.decode(errors='replace')}\n")
        sys.exit(97)


def _inside(path: str, roots: list) -> bool:
    p = os.path.realpath(path)
    return any(p == r or p.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def main() -> None:
    with open(os.environ.pop("HFLAB_GRADE_PLAN"), encoding="utf-8") as f:
        plan = json.load(f)
    for kind, src, dst in plan["mounts"]:
        _mount(kind, src, dst)
    drop = [os.path.realpath(p) for p in plan["drop_under"]]
    keep = [os.path.realpath(p) for p in plan["keep_under"]]
    sys.path[:] = [plan["pkg"]] + [p for p in sys.path
                                   if p and p != plan["pkg"] and (not _inside(p, drop) or _inside(p, keep))]
    sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
    sys.path_hooks[:] = [h for h in sys.path_hooks if "__editable__" not in getattr(h, "__module__", "")]
    sys.path_importer_cache.clear()
    for name in [m for m in sys.modules if m.startswith("__editable__")]:
        del sys.modules[name]
    os.chdir(plan["cwd"])
    sys.argv = ["ipykernel_launcher", "-f", sys.argv[1], *sys.argv[2:]]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
