"""The live page: a group of runs drawn while they train and once they end.

* view: the status lines, the charts' fragments and the Compare-runs table (what pages call);
* pace: every interval and budget (the heartbeat, the polls, the chart ticks, Train's wait);
* specs: a page part's chart specs, rebuilt in turn within the budget;
* shared: the charts of finished page parts, built once per server for every session;
* repair: the lost-rerun workaround, fenced (the heartbeat redraws a page left unfinished).

Nothing is imported here, so that ``nnexplore.ui.live.specs`` can be imported by the
sections that ``view`` itself imports.
"""
