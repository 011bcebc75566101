using System.Diagnostics.Metrics;
using Pfs.Client.Diagnostics;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// Payload bytes this process's clients read from and wrote to file servers (the client's own
/// <c>pfs.client.fileserver.bytes</c> counter), so a run can say how many bytes crossed the wire per
/// byte of file: 1.5 for a 4+2 write, 1 for a healthy read, more where a read decodes or hedges.
/// </summary>
internal sealed class ServerTraffic : IDisposable
{
    private const string Instrument = "pfs.client.fileserver.bytes";

    private readonly MeterListener _listener = new();
    private long _read;
    private long _written;

    public ServerTraffic()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PfsMetrics.MeterName && instrument.Name == Instrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key != "pfs.io.direction")
                {
                    continue;
                }

                if (tag.Value as string == "read")
                {
                    Interlocked.Add(ref _read, value);
                }
                else
                {
                    Interlocked.Add(ref _written, value);
                }

                return;
            }
        });
        _listener.Start();
    }

    /// <summary>Bytes read and written so far.</summary>
    public (long Read, long Written) Totals => (Interlocked.Read(ref _read), Interlocked.Read(ref _written));

    public void Dispose() => _listener.Dispose();
}
