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
    private readonly int _member;
    private readonly int _members;

    /// <summary>A log for one member's epochs.</summary>
    /// <param name="host">Checked for cancellation after every epoch.</param>
    /// <param name="channel">Receives the epoch lines.</param>
    /// <param name="callback">The options' progress callback, or null.</param>
    /// <param name="maxEpoch">The options' MaxEpoch, passed on to the callback.</param>
    /// <param name="member">The ensemble member (0-based) whose epochs this log reports.</param>
    /// <param name="members">How many members the model averages.</param>
    /// <param name="gate">Shared by the logs of members training at once: the channel and the callback are called by one
    /// thread at a time.</param>
    public TrainingProgressLog(IHost host, IChannel channel, Action<AdaptiveWidthEpochMetrics>? callback = null, int maxEpoch = 0,
        int member = 0, int members = 1, object? gate = null)
    {
        _host = host;
        _channel = channel;
        _callback = callback;
        _maxEpoch = maxEpoch;
        _member = member;
        _members = members;
        Gate = gate ?? new object();
    }

    /// <summary>The lock held while writing to the channel or calling the callback.</summary>
    public object Gate { get; }

    /// <summary>The ensemble member (0-based) whose epochs this log reports.</summary>
    public int Member => _member;

    public void Report(EpochRecord value)
    {
        _last = value;
        _lastWritten = false;
        _elapsed += value.Elapsed;
        lock (Gate)
        {
            if (!_sinceLastLine.IsRunning || _sinceLastLine.Elapsed >= Interval)
            {
                Write(value);
            }
            _callback?.Invoke(new AdaptiveWidthEpochMetrics(value.Epoch, _maxEpoch, value.TrainingLoss, value.ValidationLoss,
                value.ValidationAccuracy, value.Widths.ToArray(), value.Elapsed, _elapsed) { Member = _member, EnsembleSize = _members });
        }
        _host.CheckAlive();
    }

    /// <summary>Writes the last epoch if the rate limit held it back.</summary>
    public void Flush()
    {
        if (_last is not null && !_lastWritten)
        {
            lock (Gate)
            {
                Write(_last);
            }
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
