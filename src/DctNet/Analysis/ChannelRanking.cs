namespace DctNet.Analysis;

/// <summary>
/// Ranks of channels by a score, for counting how many named channels a map puts in its top places: 1 is the highest
/// score, and a tie ranks every tied channel last among them, so that a flat map ranks nothing high by accident.
/// </summary>
internal static class ChannelRanking
{
    /// <summary>Each channel's rank by <paramref name="primary"/>, equal values ordered by <paramref name="secondary"/>; NaN ranks after every number.</summary>
    public static int[] Pessimistic(IReadOnlyList<double> primary, IReadOnlyList<double>? secondary = null)
    {
        static double OrLowest(double value) => double.IsNaN(value) ? double.NegativeInfinity : value;
        double Second(int c) => secondary is null ? 0 : OrLowest(secondary[c]);
        var ranks = new int[primary.Count];
        for (int c = 0; c < ranks.Length; c++)
        {
            // The count of channels at least as high, itself included.
            ranks[c] = Enumerable.Range(0, ranks.Length).Count(d =>
                OrLowest(primary[d]) > OrLowest(primary[c]) || (OrLowest(primary[d]) == OrLowest(primary[c]) && Second(d) >= Second(c)));
        }
        return ranks;
    }
}
