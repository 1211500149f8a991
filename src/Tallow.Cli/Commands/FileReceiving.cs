// Accepting a Files offer into an output folder, shared by `receive` and `chat`: the plan (what
// to receive and from which resume offset, which files here only have their content checked),
// the free-space check that rejects an offer the disk cannot hold, the Accept that names exactly
// the planned files, and the line that says what is coming.
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal static class FileReceiving
{
    /// <summary>Plans and accepts; throws (after rejecting the offer) when the disk is too small. The caller disposes the plan.</summary>
    public static async Task<ReceivePlan> AcceptAsync(
        TransferReceiver receiver, TransferOffer offer, OutputDirectory output, Func<int, OfferEntry, bool>? include, bool resume, ITransferObserver observer, CancellationToken ct)
    {
        ReceivePlan plan = ReceivePlan.Create(offer, include, resume ? output : null, observer.OnNotice, observer);
        try
        {
            long free = FreeSpace(output.Root);
            if (free >= 0 && plan.BytesToReceive > free)
            {
                await receiver.RejectAsync("not enough disk space", ct).ConfigureAwait(false);
                throw new TallowException(FailureKind.FileSystem, $"the offer needs {Units.Bytes(plan.BytesToReceive)} but only {Units.Bytes(free)} is free in '{output.Root}': free some space or choose another --out.");
            }

            await receiver.AcceptAsync(plan, ct).ConfigureAwait(false);
            return plan;
        }
        catch
        {
            plan.Dispose();
            throw;
        }
    }

    /// <summary>"Receiving …": the whole offer, or what is left of it after resumes, files already here and the selection.</summary>
    public static string Describe(ReceivePlan plan, TransferOffer offer, string summary, OutputDirectory output)
    {
        if (plan.BytesToReceive == (long)offer.TotalSize && plan.ContentChecks == 0)
        {
            return $"Receiving {summary} into '{output.Root}'";
        }

        int receiving = plan.Files.Count - plan.ContentChecks;
        string checks = $"{plan.ContentChecks} file(s) here with the same size and time compared with the sender's hash";
        return receiving == 0 && plan.ContentChecks > 0
            ? $"Checking {checks} in '{output.Root}'"
            : $"Receiving {receiving} file(s), {Units.Bytes(plan.BytesToReceive)}, into '{output.Root}'{(plan.ContentChecks > 0 ? $"; {checks}" : string.Empty)}";
    }

    private static long FreeSpace(string path)
    {
        try
        {
            return new DriveInfo(path).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return -1;
        }
    }
}
