using BenchmarkDotNet.Running;
using Pfs.Erasure.Benchmarks;
using Pfs.Erasure.Benchmarks.Micro;

// dotnet run -c Release --project benchmarks/Pfs.Erasure.Benchmarks [-- --quick | --micro [BenchmarkDotNet args]]
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("""
        Pfs.Erasure.Benchmarks: GB/s per core of the Reed-Solomon codec, per kernel, next to a
        plain table-lookup loop and ISA-L (when libisal.so.2 is installed).
          (none)    the full table (about a minute)
          --quick   short runs (a few seconds)
          --smoke   one tiny row, to check that it runs (the test suite does this)
          --micro   BenchmarkDotNet micro benchmarks; the arguments after it go to BenchmarkDotNet
        """);
    return 0;
}
var micro = Array.IndexOf(args, "--micro");
if (micro >= 0)
{
    BenchmarkSwitcher.FromTypes([typeof(CodecBenchmarks)]).Run(args[(micro + 1)..]);
    return 0;
}
var mode = args.Contains("--smoke") ? CodecTable.Mode.Smoke : args.Contains("--quick") ? CodecTable.Mode.Quick : CodecTable.Mode.Full;
return new CodecTable(mode, Console.Out).Run();
