// A page that only says something (access refused, nothing there): the header still works
// (sign out, language and time zone).

import { startPage } from "./shell.js";

startPage();
