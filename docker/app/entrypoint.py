"""The app container's entry point: own the writable directories, drop root, run the command.

Named volumes start owned by root; the directories listed (space-separated) in
CONTAINER_OWN_DIRS are created if missing and given to the ``standardiste`` user. The user
also joins the group of each directory listed in CONTAINER_JOIN_GROUP_OF (another
container's, e.g. Asterisk's recordings, which the bridge expires). Then the command runs as
that user (``docker-compose exec`` does not go through here).
"""

import os
import pwd
import sys

USER = "standardiste"


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: entrypoint.py COMMAND [ARG...]")
    if os.geteuid() == 0:
        user = pwd.getpwnam(USER)
        for path in os.environ.pop("CONTAINER_OWN_DIRS", "").split():
            os.makedirs(path, exist_ok=True)
            os.chown(path, user.pw_uid, user.pw_gid)
        joined = {
            os.stat(path).st_gid for path in os.environ.pop("CONTAINER_JOIN_GROUP_OF", "").split()
        }
        os.setgroups(sorted(joined - {0, user.pw_gid}))  # never root's group
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
        os.environ["HOME"] = user.pw_dir
    os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
