//! The seed notebook's reference figures (DAT405 Assignment 7, group 67: the notebook this
//! page reproduces), in one place: what the page and the tests set beside this project's
//! own runs. Plain data, no browser code. Each figure says where the notebook prints it;
//! four decimals, as its Keras logs print them.

/// A Keras training log's four per-epoch series.
#[derive(Debug)]
pub struct Curves {
    pub loss: &'static [f64],
    pub accuracy: &'static [f64],
    pub val_loss: &'static [f64],
    pub val_accuracy: &'static [f64],
}

/// What the seed's Keras log says of one whole run (the results table beside ours).
#[derive(Debug)]
pub struct Run {
    pub test_accuracy: f64,
    pub test_loss: f64,
    pub epochs: usize,
    /// Typical seconds per epoch in the seed's log.
    pub seconds_per_epoch: f64,
}

// ---------------------------------------------------------------------------------------
// Problem 2: the 64-64 MLP
// ---------------------------------------------------------------------------------------

/// P2's test figures: `Test loss: 0.0961291715502739, Test accuracy 0.9702000021934509`.
pub const P2_TEST_LOSS: f64 = 0.0961;
pub const P2_TEST_ACCURACY: f64 = 0.9702;
/// P2's per-epoch `accuracy` and `val_accuracy` from the seed's training log (2C's plot).
pub const P2_ACCURACY: [f64; 10] = [0.8651, 0.9337, 0.9489, 0.9582, 0.9641, 0.9687, 0.9730, 0.9753, 0.9774, 0.9799];
pub const P2_VAL_ACCURACY: [f64; 10] = [0.9268, 0.9465, 0.9531, 0.9587, 0.9643, 0.9644, 0.9658, 0.9684, 0.9705, 0.9702];

/// P2's 10-epoch log.
pub const P2_CURVES: Curves = Curves {
    loss: &[0.4695, 0.2281, 0.1744, 0.1428, 0.1210, 0.1047, 0.0919, 0.0813, 0.0742, 0.0674],
    accuracy: &P2_ACCURACY,
    val_loss: &[0.2515, 0.1797, 0.1535, 0.1297, 0.1169, 0.1149, 0.1089, 0.0998, 0.0915, 0.0961],
    val_accuracy: &P2_VAL_ACCURACY,
};

/// P2's typical epoch in its Keras log, `2s 4ms/step` (3B's comparison table).
pub const P2_SECONDS_PER_EPOCH: f64 = 2.0;

/// The seed's P2: 10 epochs of about 2.3 s each on average (its Keras log: 5 s for the
/// first epoch, then 2 s).
pub const P2_RUN: Run = Run { test_accuracy: P2_TEST_ACCURACY, test_loss: P2_TEST_LOSS, epochs: 10, seconds_per_epoch: 2.3 };

// ---------------------------------------------------------------------------------------
// Problem 2D: the weight-decay sweep (15 networks of 500-300)
// ---------------------------------------------------------------------------------------

/// LeCun's MNIST table, which 2D compares with: 500+300 hidden units, softmax,
/// cross-entropy, weight decay (Hinton, unpublished, 2005): 1.53% test error.
pub const LECUN_500_300_WEIGHT_DECAY_ACCURACY: f64 = 0.9847;
/// The seed's best final validation accuracy over its 15 networks: `max_totalaccuracy`,
/// `0.983299970626831` (Answer 2D).
pub const P2D_BEST_ACCURACY: f64 = 0.9833;
/// The seed's printed `max_accuracy`, one per factor of its sweep. Its `tmp` list is never
/// emptied, so each value is the maximum over all networks up to that factor.
pub const P2D_MAX_ACCURACY: [f64; 5] = [0.9822, 0.9823, 0.9833, 0.9833, 0.9833];
/// Seconds per epoch of its sweep's networks, from its log: `1s`–`2s/epoch - 3ms/step`.
pub const P2D_SECONDS_PER_EPOCH: (f64, f64) = (1.0, 2.0);

// ---------------------------------------------------------------------------------------
// Problem 3: the CNN
// ---------------------------------------------------------------------------------------

/// P3 after 40 epochs: `Test loss of CNN is: 0.030204854905605316, Test accuracy of CNN is
/// 0.9911999702453613`.
pub const P3_TEST_LOSS: f64 = 0.0302;
pub const P3_TEST_ACCURACY: f64 = 0.9912;

/// P3's 40-epoch log.
pub const P3_CURVES: Curves = Curves {
    loss: &[0.4533, 0.1237, 0.0889, 0.0693, 0.0596, 0.0504, 0.0437, 0.0399, 0.0351, 0.0318, 0.0289, 0.0258, 0.0230, 0.0212, 0.0197, 0.0193, 0.0177, 0.0151, 0.0137, 0.0123, 0.0118, 0.0112, 0.0098, 0.0102, 0.0087, 0.0076, 0.0084, 0.0072, 0.0067, 0.0066, 0.0066, 0.0060, 0.0058, 0.0044, 0.0044, 0.0043, 0.0051, 0.0033, 0.0037, 0.0040,],
    accuracy: &[0.8551, 0.9633, 0.9745, 0.9798, 0.9830, 0.9854, 0.9873, 0.9888, 0.9895, 0.9909, 0.9916, 0.9919, 0.9928, 0.9937, 0.9941, 0.9940, 0.9946, 0.9955, 0.9959, 0.9961, 0.9962, 0.9965, 0.9972, 0.9966, 0.9973, 0.9976, 0.9971, 0.9979, 0.9979, 0.9978, 0.9978, 0.9980, 0.9982, 0.9986, 0.9986, 0.9988, 0.9984, 0.9991, 0.9989, 0.9986,],
    val_loss: &[0.0916, 0.0673, 0.0558, 0.0401, 0.0377, 0.0378, 0.0345, 0.0324, 0.0289, 0.0299, 0.0310, 0.0316, 0.0311, 0.0312, 0.0284, 0.0282, 0.0265, 0.0276, 0.0258, 0.0262, 0.0290, 0.0347, 0.0323, 0.0314, 0.0649, 0.0303, 0.0310, 0.0298, 0.0299, 0.0297, 0.0318, 0.0306, 0.0327, 0.0382, 0.0320, 0.0339, 0.0328, 0.0313, 0.0308, 0.0302,],
    val_accuracy: &[0.9716, 0.9795, 0.9815, 0.9868, 0.9877, 0.9881, 0.9880, 0.9897, 0.9902, 0.9903, 0.9906, 0.9897, 0.9898, 0.9908, 0.9916, 0.9912, 0.9915, 0.9913, 0.9916, 0.9920, 0.9915, 0.9905, 0.9911, 0.9899, 0.9838, 0.9919, 0.9907, 0.9916, 0.9916, 0.9920, 0.9914, 0.9919, 0.9913, 0.9904, 0.9914, 0.9914, 0.9908, 0.9922, 0.9920, 0.9912,],
};

/// P3's epochs in its Keras log: `28s 60ms/step` each.
pub const P3_SECONDS_PER_EPOCH: f64 = 28.0;

/// The seed's P3: 40 epochs of 469 steps, about 28 s each (its Keras log).
pub const P3_RUN: Run = Run { test_accuracy: P3_TEST_ACCURACY, test_loss: P3_TEST_LOSS, epochs: 40, seconds_per_epoch: P3_SECONDS_PER_EPOCH };

// ---------------------------------------------------------------------------------------
// Problem 4: the denoising autoencoder
// ---------------------------------------------------------------------------------------

/// The autoencoder's epochs (`Epoch 32/32`).
pub const P4_EPOCHS: usize = 32;
/// Seconds per epoch in its log: `6s 7ms/step`, the first `7s`.
pub const P4_SECONDS_PER_EPOCH: (f64, f64) = (6.0, 7.0);
/// The last epoch's `val_loss`.
pub const P4_VAL_LOSS: f64 = 0.1199;
/// Per-epoch `loss` and `val_loss` of the seed's 32 epochs; its printed log skips
/// epochs 16 and 17 (NaN here, left out of charts).
pub const P4_LOSS: [f64; 32] = [
    0.1904, 0.1458, 0.1364, 0.1317, 0.1286, 0.1266, 0.1249, 0.1236, 0.1226, 0.1217, 0.1209, 0.1203, 0.1197, 0.1193, 0.1187, f64::NAN,
    f64::NAN, 0.1177, 0.1174, 0.1171, 0.1168, 0.1166, 0.1164, 0.1162, 0.1160, 0.1158, 0.1156, 0.1154, 0.1154, 0.1152, 0.1150, 0.1149,
];
pub const P4_VAL_LOSS_CURVE: [f64; 32] = [
    0.1517, 0.1387, 0.1330, 0.1298, 0.1277, 0.1260, 0.1253, 0.1246, 0.1244, 0.1229, 0.1227, 0.1237, 0.1217, 0.1221, 0.1214, f64::NAN,
    f64::NAN, 0.1214, 0.1206, 0.1207, 0.1204, 0.1204, 0.1205, 0.1204, 0.1199, 0.1205, 0.1205, 0.1201, 0.1197, 0.1198, 0.1200, 0.1199,
];
/// 4C: the seed's "denoised score" and "seasoned score" (`The denoised score are: …`,
/// `The seasoned score are: …`) at noise 0, 0.1, ..., 1.0.
pub const P4_DENOISED_ACCURACY: [f64; 11] = [0.9539, 0.9528, 0.9505, 0.9408, 0.9192, 0.8621, 0.7292, 0.5143, 0.3191, 0.1758, 0.1012];
pub const P4_NOISY_ACCURACY: [f64; 11] = [0.9909, 0.9651, 0.8956, 0.7867, 0.6482, 0.4901, 0.3310, 0.2289, 0.1612, 0.1209, 0.0981];
/// The loss curves in the form the page's charts take (an autoencoder has no accuracy).
pub const P4_CURVES: Curves = Curves { loss: &P4_LOSS, accuracy: &[], val_loss: &P4_VAL_LOSS_CURVE, val_accuracy: &[] };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_series_lengths() {
        for curves in [&P2_CURVES, &P3_CURVES] {
            let epochs = curves.loss.len();
            assert_eq!([curves.accuracy.len(), curves.val_loss.len(), curves.val_accuracy.len()], [epochs; 3]);
        }
        assert_eq!((P2_CURVES.loss.len(), P2_RUN.epochs), (10, 10));
        assert_eq!((P3_CURVES.loss.len(), P3_RUN.epochs), (40, 40));
        assert_eq!((P4_CURVES.loss.len(), P4_CURVES.val_loss.len()), (P4_EPOCHS, P4_EPOCHS));
        // The last epoch's validation figures are the test figures (validation is the test set).
        assert_eq!(P2_VAL_ACCURACY[9], P2_TEST_ACCURACY);
        assert_eq!(P3_CURVES.val_accuracy[39], P3_TEST_ACCURACY);
        assert_eq!(P4_VAL_LOSS_CURVE[31], P4_VAL_LOSS);
        // The best of the sweep is the last cumulative max.
        assert_eq!(P2D_MAX_ACCURACY[4], P2D_BEST_ACCURACY);
    }
}
