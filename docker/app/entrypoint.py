"""The app container's entry point: own the writable directories, drop root, run the command.

Named volumes start owned by root; the directories listed (space-separated) in
CONTAINER_OWN_DIRS are created if missing and given to the ``standardiste`` user,
then the command runs as that user (``docker-compose exec`` does not go through here).
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
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
        os.environ["HOME"] = user.pw_dir
    os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
