"""One function per route of :data:`hflab.practice_hub.routes.ROUTES`, by resource: the account (whoami), repos
(create, delete, list, info, settings, card check), refs (branches, tags, history), files (tree, paths-info,
preupload, commit, resolve), Git LFS uploads, git's smart-HTTP probe (refused with the hf command), HTML pages.

Each handler takes the request as a :class:`~hflab.practice_hub.state.Call` and the route's captures, and
answers a response or raises :class:`~hflab.practice_hub.answers.HubHTTPError`."""
