// xunit 2.9's default ("conservative") scheduler runs at most MaxParallelThreads collections at once,
// and that defaults to the number of cores (2 here). The link lab's long scenarios (3 to 10 minutes
// each, mostly waiting on a throttled or shaped link) are one collection each so they can run side by
// side and beside the rest of the suite; with two slots they would queue behind each other and the
// suite would take far longer than its 25-minute budget. Collections that must run alone (NatLab,
// Throttle) still do: they disable parallelization and run after the parallel ones.
[assembly: CollectionBehavior(MaxParallelThreads = 12)]
