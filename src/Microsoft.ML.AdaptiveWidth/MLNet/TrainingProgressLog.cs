using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// Writes epoch records to the host's channel (so they reach <c>MLContext.Log</c>) at most once per second, plus the
/// first and the last epoch; calls the options' progress callback with every epoch (its exceptions propagate and stop
/// training); checks the host for cancellation after every epoch. Nothing goes to the console.
/// </summary>
internal sealed class TrainingProgressLog : IProgress<EpochRecord>
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly IHost _host;
    private readonly IChannel _channel;
    private readonly Stopwatch _sinceLastLine = new();
    private readonly Action<AdaptiveWidthEpochMetrics>? _callback;
    private readonly int _maxEpoch;
    private EpochRecord? _last;
    private bool _lastWritten;
    private TimeSpan _elapsed;
    private int _member;
    private int _members = 1;

    public TrainingProgressLog(IHost host, IChannel channel, Action<AdaptiveWidthEpochMetrics>? callback = null, int maxEpoch = 0)
    {
        _host = host;
        _channel = channel;
        _callback = callback;
        _maxEpoch = maxEpoch;
    }

    /// <summary>Marks the start of ensemble member <paramref name="member"/> (0-based) of <paramref name="members"/>.</summary>
    public void StartMember(int member, int members)
    {
        _member = member;
        _members = members;
        _last = null;
        _sinceLastLine.Reset();
    }

    public void Report(EpochRecord value)
    {
        _last = value;
        _lastWritten = false;
        if (!_sinceLastLine.IsRunning || _sinceLastLine.Elapsed >= Interval)
        {
            Write(value);
        }
        _elapsed += value.Elapsed;
        _callback?.Invoke(new AdaptiveWidthEpochMetrics(value.Epoch, _maxEpoch, value.TrainingLoss, value.ValidationLoss,
            value.ValidationAccuracy, value.Widths.ToArray(), value.Elapsed, _elapsed) { Member = _member, EnsembleSize = _members });
        _host.CheckAlive();
    }

    /// <summary>Writes the last epoch if the rate limit held it back.</summary>
    public void Flush()
    {
        if (_last is not null && !_lastWritten)
        {
            Write(_last);
        }
    }

    private void Write(EpochRecord r)
    {
        string validation = double.IsNaN(r.ValidationLoss) ? "" :
            double.IsNaN(r.ValidationAccuracy)
                ? string.Format(CultureInfo.InvariantCulture, ", validation loss {0:G5}", r.ValidationLoss)
                : string.Format(CultureInfo.InvariantCulture, ", validation loss {0:G5}, accuracy {1:P2}", r.ValidationLoss, r.ValidationAccuracy);
        string member = _members > 1 ? string.Format(CultureInfo.InvariantCulture, " (member {0} of {1})", _member + 1, _members) : "";
        _channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "Epoch {0}: loss {1:G5}, objective {2:G5}{3}, widths [{4}], {5:F0} ms",
            r.Epoch, r.TrainingLoss, r.Objective, validation, string.Join(", ", r.Widths), r.Elapsed.TotalMilliseconds) + member);
        _lastWritten = true;
        _sinceLastLine.Restart();
    }
}
