// Package simulate is llmsim's discrete-event simulator of an LLM serving cluster: a
// global scheduler spreads arriving requests over replicas, each replica batches them
// with a replica scheduler (vLLM, Sarathi-Serve, Orca, FasterTransformer, LightLLM),
// batches flow through the replica's pipeline stages, and the predictor says how long
// each batch takes. It reproduces Microsoft Vidur event for event: on Vidur's own
// reference cases every request and batch metric comes out bit for bit equal
// (package vidurcase checks this).
//
// Reading guide:
//
//   - setup.go: Setup, the resolved simulation (cluster shape, scheduler settings,
//     memory plan, predictor); fromconfig.go builds one from an experiment config.
//   - sim.go: the Simulator, its main loop (Run) and one handler per Vidur event:
//     RequestArrival, GlobalSchedule, ReplicaSchedule, BatchStageArrival,
//     ReplicaStageSchedule, BatchStageEnd, BatchEnd. The Recorder interface receives
//     request and batch records as they happen.
//   - events.go: the event heap, ordered by (time, creation sequence) like Vidur's.
//     Arrivals are pulled lazily from the workload and win ties, because Vidur queues
//     all of them before anything else happens.
//   - request.go, batch.go: Vidur's Request state machine and Batch, with pools that
//     recycle them so memory follows the requests in flight, not the total.
//   - replica.go: a replica's waiting queue, KV-block accounting and pipeline stages;
//     sched_*.go: one file per replica scheduler; global.go: round_robin, random, lor.
//   - pd.go, pd_config.go, sched_splitwise.go: prefill–decode disaggregation (the
//     split_wise schedulers): prefill and decode pools of their own shape, placement,
//     and the KV-cache transfer over a FIFO prefill NIC (docs/pd.md). Each pool has its own
//     TP, PP and EP, layout, memory plan and predictor (pd_config.go), MoE models included.
//   - split.go: SplitRecorder, the mean attention/MLP/MoE/comm/dispatch split of the
//     batches, per pool under disaggregation (summary.json's batch_split).
//   - memory.go: the memory planner (weights vs KV cache, KV blocks per replica).
//   - parallel.go: Layout, how TP, attention DP, EP and PP share a replica's GPUs;
//     parallel_config.go wires MoE, MLA and hybrid models (memory_moe.go plans their
//     memory, routing.go draws expert loads); docs/moe.md explains the model.
//
// Vidur's known bugs are reproduced when Setup.VidurCompat is set and fixed otherwise;
// docs/vidur-compat.md lists each one and its effect.
package simulate
