using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>The FPN's and the RPN head's initialization, as torchvision's: each conv's weight by the module's rule, its bias zero.</summary>
internal static class ConvInitialization
{
    public static void Apply(nn.Module module, Action<Tensor> initWeight)
    {
        using var noGrad = no_grad();
        foreach (var conv in module.modules().OfType<Conv2d>())
        {
            initWeight(conv.weight!);
            nn.init.zeros_(conv.bias!);
        }
    }
}
