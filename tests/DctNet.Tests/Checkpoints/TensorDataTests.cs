using DctNet.Checkpoints;
using TorchSharp;

namespace DctNet.Tests.Checkpoints;

/// <summary>TensorData is the bytes PyTorch saved; TorchSharp tensors made from it must hold exactly those.</summary>
public sealed class TensorDataTests
{
    [Fact]
    public void Every_dtype_goes_through_a_TorchSharp_tensor_unchanged()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var expected in CheckpointFixtures.Expected("dtypes"))
        {
            var data = new TensorData(expected.ElementType, expected.Shape, expected.Bytes);

            var tensor = data.ToTensor();
            var back = TensorData.FromTensor(tensor);

            Assert.Equal(expected.ElementType.ToScalarType(), tensor.dtype);
            Assert.Equal(expected.Shape, tensor.shape);
            Assert.True(expected.Bytes.AsSpan().SequenceEqual(back.Bytes.Span), $"{expected.Key}: values changed");
        }
    }

    [Fact]
    public void A_non_contiguous_tensor_is_copied_in_C_order()
    {
        using var scope = torch.NewDisposeScope();
        var transposed = torch.arange(6, dtype: torch.ScalarType.Int32).reshape(2, 3).t();

        var data = TensorData.FromTensor(transposed);

        Assert.Equal([3L, 2L], data.Shape);
        Assert.Equal([0, 3, 1, 4, 2, 5], data.ToArray<int>());
    }

    [Fact]
    public void Sizes_and_element_types_are_checked()
    {
        Assert.Throws<ArgumentException>(() => new TensorData(TensorElementType.Float32, [2, 2], new byte[12]));
        Assert.Throws<ArgumentException>(() => new TensorData(TensorElementType.Float32, [-1], []));
        var data = new TensorData(TensorElementType.Int64, [1], new byte[8]);
        Assert.Equal("Int64 tensors cannot be read as Double.", Assert.Throws<InvalidOperationException>(() => data.ToArray<double>()).Message);
    }
}
